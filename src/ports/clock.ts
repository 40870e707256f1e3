/** Time source and timers. Injected so that tests can drive timeouts and schedules deterministically. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (for logs). */
  nowMs(): number;
  /** Monotonic milliseconds, only meaningful as a difference (for durations and deadlines). */
  monotonicMs(): number;
  /**
   * Calls `callback` once after `delayMs`. Background timers (`keepsProcessAlive: false`, the
   * default) do not hold the process open on their own, so a health schedule never blocks exit.
   */
  setTimer(delayMs: number, callback: () => void, keepsProcessAlive?: boolean): Timer;
}

export interface Timer {
  /** Idempotent; a cancelled timer never fires. */
  cancel(): void;
}

export const Clock = Symbol.for('prox.Clock');
