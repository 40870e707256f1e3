import { algorithmFor, RateLimitAlgorithm } from '../../core/rate-limit/algorithms';
import type { RateLimitCounter, RateLimitRule, RateLimitStore, RateLimitVerdict } from '../../ports/rate-limit-store';

/** Idle keys looked at (oldest first) each time a new key arrives. */
const IDLE_CHECKS_PER_NEW_KEY = 2;

/**
 * Counters of one rate limit in this process, one small state object per key, in a Map kept in
 * least-recently-used order (a key is moved to the end on each request).
 *
 * Memory stays bounded two ways: whenever a new key arrives, the oldest keys are checked and
 * dropped if their quota is whole again (idle), and beyond `maxKeys` the least recently used key
 * is dropped whatever its state. A dropped key starts again with a full quota, so a flood of
 * distinct keys larger than `maxKeys` can free the quota of an old key early: the price of a
 * fixed memory ceiling.
 */
export class MemoryRateLimitCounter<State> implements RateLimitCounter {
  private readonly states = new Map<string, State>();

  constructor(
    private readonly algorithm: RateLimitAlgorithm<State>,
    private readonly maxKeys: number,
  ) {}

  get size(): number {
    return this.states.size;
  }

  take(key: string, nowMs: number): RateLimitVerdict {
    const states = this.states;
    let state = states.get(key);
    if (state === undefined) {
      this.makeRoom(nowMs);
      state = this.algorithm.fresh(nowMs);
    } else {
      states.delete(key);
    }
    states.set(key, state);
    return this.algorithm.take(state, nowMs);
  }

  private makeRoom(nowMs: number): void {
    const states = this.states;
    if (states.size === 0) return;
    let checked = 0;
    for (const [key, state] of states) {
      if (checked++ >= IDLE_CHECKS_PER_NEW_KEY) break;
      if (this.algorithm.isIdle(state, nowMs)) states.delete(key);
    }
    while (states.size >= this.maxKeys) states.delete(states.keys().next().value as string);
  }
}

/** RateLimitStore for one prox process. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly counters = new Map<string, RateLimitCounter>();

  counter(id: string, rule: RateLimitRule): RateLimitCounter {
    let counter = this.counters.get(id);
    if (counter === undefined) {
      counter = new MemoryRateLimitCounter(algorithmFor(rule), rule.maxKeys);
      this.counters.set(id, counter);
    }
    return counter;
  }

  retainOnly(ids: ReadonlySet<string>): void {
    for (const id of this.counters.keys()) if (!ids.has(id)) this.counters.delete(id);
  }

  /** Counters held now (for tests). */
  get size(): number {
    return this.counters.size;
  }
}
