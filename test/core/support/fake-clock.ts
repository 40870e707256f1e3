import type { Clock, Timer } from '../../../src/ports/clock';

/** A Clock whose time only moves when the test says so; due timers fire in order. */
export class FakeClock implements Clock {
  private now = 1_000_000;
  private timers: { at: number; seq: number; callback: () => void; cancelled: boolean }[] = [];
  private seq = 0;

  nowMs(): number {
    return this.now;
  }

  monotonicMs(): number {
    return this.now;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const timer = { at: this.now + Math.max(0, delayMs), seq: this.seq++, callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  get pendingTimers(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }

  /** Moves time forward, firing every timer that falls due (including ones set while firing). */
  advance(ms: number): void {
    const target = this.now + ms;
    for (;;) {
      const due = this.timers
        .filter((t) => !t.cancelled && t.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.now = Math.max(this.now, due.at);
      due.cancelled = true;
      due.callback();
    }
    this.timers = this.timers.filter((t) => !t.cancelled);
    this.now = target;
  }

  /** Fires timers due now (zero-delay ones), e.g. a retry with no back-off. */
  flush(): void {
    this.advance(0);
  }
}
