import type { PassiveHealthSpec } from '../model';

/**
 * Outlier detection on live traffic for one backend of one route: `consecutiveFailures` in a
 * row eject it for `ejectionSecs`, doubled on each ejection that follows too soon after the
 * last one ended, capped at `maxEjectionSecs`. A success resets the count and, once a backend
 * has served well for a full base ejection period, the back-off too.
 */
export class PassiveHealth {
  private failures = 0;
  private ejectedUntil = 0;
  private ejections = 0;
  private lastEjectionEnd = 0;

  constructor(private readonly spec: PassiveHealthSpec) {}

  get countsServerErrors(): boolean {
    return this.spec.count5xx;
  }

  isEjected(nowMs: number): boolean {
    return nowMs < this.ejectedUntil;
  }

  /** Milliseconds until an ejection ends; 0 when not ejected. */
  remainingMs(nowMs: number): number {
    return Math.max(0, this.ejectedUntil - nowMs);
  }

  recordSuccess(nowMs: number): void {
    this.failures = 0;
    if (this.ejections > 0 && nowMs - this.lastEjectionEnd >= this.spec.ejectionSecs * 1000) this.ejections = 0;
  }

  /**
   * Counts a failure; returns the ejection length in ms when this failure ejects the backend.
   * `mayEject` is asked only at that moment (the route keeps its last available backend).
   */
  recordFailure(nowMs: number, mayEject: () => boolean): number {
    if (this.isEjected(nowMs)) return 0;
    this.failures++;
    if (this.failures < this.spec.consecutiveFailures || !mayEject()) return 0;
    const lengthMs = Math.min(this.spec.ejectionSecs * 2 ** this.ejections, this.spec.maxEjectionSecs) * 1000;
    this.ejections++;
    this.failures = 0;
    this.ejectedUntil = nowMs + lengthMs;
    this.lastEjectionEnd = this.ejectedUntil;
    return lengthMs;
  }
}
