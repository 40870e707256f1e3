import type { Clock, Timer } from '../../ports/clock';
import { SystemClock } from './system-clock';

/**
 * TEST ONLY (selected by PROX_TEST_CLOCK=offset): the system clock plus an offset that the
 * admin endpoint `POST /debug/clock?advance_ms=N` moves forward, so integration tests can let
 * rate-limit windows, ejections and breaker timeouts pass without sleeping. Timers still run on
 * real time; only what the clock reports jumps.
 */
export class OffsetClock implements Clock {
  private readonly system = new SystemClock();
  private offsetMs = 0;

  nowMs(): number {
    return this.system.nowMs() + this.offsetMs;
  }

  monotonicMs(): number {
    return this.system.monotonicMs() + this.offsetMs;
  }

  setTimer(delayMs: number, callback: () => void, keepsProcessAlive = false): Timer {
    return this.system.setTimer(delayMs, callback, keepsProcessAlive);
  }

  /** Moves time forward (never back: durations and deadlines must not run backwards). */
  advance(ms: number): number {
    this.offsetMs += ms;
    return this.offsetMs;
  }
}
