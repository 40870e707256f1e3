import type { RateLimitRule, RateLimitVerdict } from '../../ports/rate-limit-store';

/**
 * The three counting algorithms, each as a decision over a small mutable state object per key.
 * Pure apart from that state: time comes in as `nowMs`, nothing is scheduled, nothing is read
 * from outside, so a store can keep the states wherever it likes and tests can replay exact
 * sequences.
 */
export interface RateLimitAlgorithm<State> {
  /** The state of a key never seen (or forgotten): a full quota. */
  fresh(nowMs: number): State;
  /** Decides on one request and, when it is allowed, counts it in `state`. */
  take(state: State, nowMs: number): RateLimitVerdict;
  /** The state is back to a full quota: dropping it changes no future decision. */
  isIdle(state: State, nowMs: number): boolean;
}

/** Float arithmetic on request counts: 2.9999999 must still count as 3 whole requests. */
const EPSILON = 1e-9;

function wholeRequests(value: number): number {
  return Math.max(0, Math.floor(value + EPSILON));
}

export interface TokenBucketState {
  /** When the bucket will be full again if nothing more is taken (GCRA's theoretical arrival time). */
  fullAtMs: number;
}

/**
 * Token bucket of `burst` tokens refilled continuously at `requests` per period, kept as the one
 * instant at which the bucket would be full again (the Generic Cell Rate Algorithm): each
 * request moves that instant one token interval later, and a request fits while the instant is
 * at most `burst` intervals ahead of now.
 */
export class TokenBucket implements RateLimitAlgorithm<TokenBucketState> {
  private readonly intervalMs: number;
  private readonly capacityMs: number;

  constructor(rule: RateLimitRule) {
    this.intervalMs = rule.periodMs / rule.requests;
    this.capacityMs = rule.burst * this.intervalMs;
  }

  fresh(nowMs: number): TokenBucketState {
    return { fullAtMs: nowMs };
  }

  take(state: TokenBucketState, nowMs: number): RateLimitVerdict {
    const from = state.fullAtMs > nowMs ? state.fullAtMs : nowMs;
    const next = from + this.intervalMs;
    const ahead = next - nowMs;
    if (ahead > this.capacityMs + EPSILON) {
      return { allowed: false, remaining: 0, resetMs: from - nowMs, retryAfterMs: ahead - this.capacityMs };
    }
    state.fullAtMs = next;
    return { allowed: true, remaining: wholeRequests((this.capacityMs - ahead) / this.intervalMs), resetMs: ahead, retryAfterMs: 0 };
  }

  isIdle(state: TokenBucketState, nowMs: number): boolean {
    return state.fullAtMs <= nowMs;
  }
}

export interface FixedWindowState {
  /** Start of the window `count` belongs to: a multiple of the period since the epoch. */
  windowStartMs: number;
  count: number;
}

/** At most `requests` per window; windows are aligned: each starts at floor(now / period) × period. */
export class FixedWindow implements RateLimitAlgorithm<FixedWindowState> {
  private readonly limit: number;
  private readonly periodMs: number;

  constructor(rule: RateLimitRule) {
    this.limit = rule.requests;
    this.periodMs = rule.periodMs;
  }

  fresh(nowMs: number): FixedWindowState {
    return { windowStartMs: windowStart(nowMs, this.periodMs), count: 0 };
  }

  take(state: FixedWindowState, nowMs: number): RateLimitVerdict {
    const start = windowStart(nowMs, this.periodMs);
    if (start !== state.windowStartMs) {
      state.windowStartMs = start;
      state.count = 0;
    }
    const resetMs = start + this.periodMs - nowMs;
    if (state.count >= this.limit) return { allowed: false, remaining: 0, resetMs, retryAfterMs: resetMs };
    state.count++;
    return { allowed: true, remaining: this.limit - state.count, resetMs, retryAfterMs: 0 };
  }

  isIdle(state: FixedWindowState, nowMs: number): boolean {
    return state.count === 0 || nowMs >= state.windowStartMs + this.periodMs;
  }
}

export interface SlidingWindowState {
  /** Start of the current aligned window. */
  windowStartMs: number;
  /** Requests counted in the current window. */
  current: number;
  /** Requests counted in the window before it. */
  previous: number;
}

/**
 * Sliding window approximated from two aligned fixed windows (as Cloudflare and nginx do): the
 * count over the last period is estimated as previous × (share of the previous window still
 * inside the sliding period) + current, and a request fits while that estimate plus itself is
 * at most `requests`.
 */
export class SlidingWindow implements RateLimitAlgorithm<SlidingWindowState> {
  private readonly limit: number;
  private readonly periodMs: number;

  constructor(rule: RateLimitRule) {
    this.limit = rule.requests;
    this.periodMs = rule.periodMs;
  }

  fresh(nowMs: number): SlidingWindowState {
    return { windowStartMs: windowStart(nowMs, this.periodMs), current: 0, previous: 0 };
  }

  take(state: SlidingWindowState, nowMs: number): RateLimitVerdict {
    const period = this.periodMs;
    const start = windowStart(nowMs, period);
    if (start !== state.windowStartMs) {
      state.previous = start === state.windowStartMs + period ? state.current : 0;
      state.current = 0;
      state.windowStartMs = start;
    }
    const elapsed = nowMs - start;
    const resetMs = period - elapsed;
    const previousWeight = resetMs / period;
    const estimate = state.previous * previousWeight + state.current;
    if (estimate + 1 > this.limit + EPSILON) {
      return { allowed: false, remaining: 0, resetMs, retryAfterMs: this.waitMs(state, elapsed) };
    }
    state.current++;
    return { allowed: true, remaining: wholeRequests(this.limit - estimate - 1), resetMs, retryAfterMs: 0 };
  }

  /** Time until the estimate leaves room for one more request. */
  private waitMs(state: SlidingWindowState, elapsed: number): number {
    const period = this.periodMs;
    const room = this.limit - 1;
    if (state.current <= room) {
      // Room comes within this window, as the previous window's weight decays (previous > 0 here).
      const neededElapsed = period - ((room - state.current) * period) / state.previous;
      return Math.max(neededElapsed - elapsed, 0);
    }
    // Only in the next window, once the current count's own weight has decayed enough.
    const neededElapsed = period - (room * period) / state.current;
    return period - elapsed + neededElapsed;
  }

  isIdle(state: SlidingWindowState, nowMs: number): boolean {
    const age = nowMs - state.windowStartMs;
    return age >= 2 * this.periodMs || (state.current === 0 && (state.previous === 0 || age >= this.periodMs));
  }
}

function windowStart(nowMs: number, periodMs: number): number {
  return Math.floor(nowMs / periodMs) * periodMs;
}

export function algorithmFor(rule: RateLimitRule): RateLimitAlgorithm<unknown> {
  switch (rule.algorithm) {
    case 'token_bucket':
      return new TokenBucket(rule) as RateLimitAlgorithm<unknown>;
    case 'fixed_window':
      return new FixedWindow(rule) as RateLimitAlgorithm<unknown>;
    case 'sliding_window':
      return new SlidingWindow(rule) as RateLimitAlgorithm<unknown>;
  }
}
