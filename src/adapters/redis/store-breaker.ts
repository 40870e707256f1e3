/** Consecutive failures after which Redis is skipped for a while. */
export const FAILURES_TO_OPEN = 3;
/** How long Redis is skipped once open; then one trial call decides whether it is back. */
export const SKIP_MS = 250;

/**
 * Keeps an outage of the shared store from adding a timeout to every request: after a few
 * consecutive failures calls are not even tried for SKIP_MS, then a single trial call goes
 * through while the others keep being skipped until it answers.
 */
export class StoreBreaker {
  private failures = 0;
  private skipUntilMs = Number.NEGATIVE_INFINITY;
  private trialInFlight = false;

  /** Whether a call may go to the store now. */
  allows(nowMs: number): boolean {
    if (this.failures < FAILURES_TO_OPEN) return true;
    if (nowMs < this.skipUntilMs || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  succeeded(): void {
    this.failures = 0;
    this.trialInFlight = false;
  }

  failed(nowMs: number): void {
    this.failures++;
    this.trialInFlight = false;
    if (this.failures >= FAILURES_TO_OPEN) this.skipUntilMs = nowMs + SKIP_MS;
  }

  get open(): boolean {
    return this.failures >= FAILURES_TO_OPEN;
  }
}
