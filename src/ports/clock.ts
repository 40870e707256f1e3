/** Time source. Injected so that tests can drive timeouts and durations deterministically. */
export interface Clock {
  /** Wall-clock milliseconds since the epoch (for logs). */
  nowMs(): number;
  /** Monotonic milliseconds, only meaningful as a difference (for durations). */
  monotonicMs(): number;
}

export const Clock = Symbol.for('prox.Clock');
