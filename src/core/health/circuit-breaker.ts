import type { CircuitBreakerSpec } from '../model';

export type BreakerState = 'closed' | 'open' | 'half_open';

export type BreakerTransition = 'opened' | 'half_opened' | 'closed' | null;

/**
 * Circuit breaker for one backend of one route.
 *
 * closed: requests flow; `maxFailures` consecutive failures open it.
 * open: every request is refused at once (no upstream call) until `timeoutSecs` have passed.
 * half_open: at most `halfOpenSuccesses` trial requests run at a time; that many successes
 * close it, and one failure opens it again for another full timeout.
 */
export class CircuitBreaker {
  private current: BreakerState = 'closed';
  private failures = 0;
  private openedAt = 0;
  private trialsRunning = 0;
  private trialSuccesses = 0;

  constructor(private readonly spec: CircuitBreakerSpec) {}

  state(nowMs: number): BreakerState {
    if (this.current === 'open' && nowMs - this.openedAt >= this.spec.timeoutSecs * 1000) return 'half_open';
    return this.current;
  }

  /** Whether a request could be let through now; no side effects. */
  allows(nowMs: number): boolean {
    switch (this.state(nowMs)) {
      case 'closed':
        return true;
      case 'open':
        return false;
      case 'half_open':
        return this.current === 'open' || this.trialsRunning < this.spec.halfOpenSuccesses;
    }
  }

  /** Milliseconds until an open breaker lets a trial through; 0 otherwise. */
  remainingOpenMs(nowMs: number): number {
    if (this.current !== 'open') return 0;
    return Math.max(0, this.openedAt + this.spec.timeoutSecs * 1000 - nowMs);
  }

  /**
   * A request is being sent (call only after `allows`). Returns whether it is a half-open trial;
   * pass that back with its outcome, so requests from before the breaker opened do not count
   * as trials.
   */
  beginRequest(nowMs: number): boolean {
    if (this.current === 'open' && this.state(nowMs) === 'half_open') {
      this.current = 'half_open';
      this.trialsRunning = 0;
      this.trialSuccesses = 0;
    }
    if (this.current !== 'half_open') return false;
    this.trialsRunning++;
    return true;
  }

  recordSuccess(trial: boolean): BreakerTransition {
    if (this.current === 'closed') {
      this.failures = 0;
      return null;
    }
    if (this.current !== 'half_open' || !trial) return null;
    this.trialsRunning = Math.max(0, this.trialsRunning - 1);
    this.trialSuccesses++;
    if (this.trialSuccesses < this.spec.halfOpenSuccesses) return null;
    this.current = 'closed';
    this.failures = 0;
    return 'closed';
  }

  recordFailure(nowMs: number, trial: boolean): BreakerTransition {
    if (this.current === 'closed') {
      this.failures++;
      if (this.failures < this.spec.maxFailures) return null;
      return this.open(nowMs);
    }
    if (this.current === 'half_open' && trial) return this.open(nowMs);
    return null;
  }

  /** A request ended without telling anything about the backend (e.g. the client left). */
  releaseRequest(trial: boolean): void {
    if (this.current === 'half_open' && trial) this.trialsRunning = Math.max(0, this.trialsRunning - 1);
  }

  private open(nowMs: number): BreakerTransition {
    this.current = 'open';
    this.openedAt = nowMs;
    this.failures = 0;
    this.trialsRunning = 0;
    this.trialSuccesses = 0;
    return 'opened';
  }
}
