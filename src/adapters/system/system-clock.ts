import type { Clock, Timer } from '../../ports/clock';

export class SystemClock implements Clock {
  nowMs(): number {
    return Date.now();
  }

  monotonicMs(): number {
    return performance.now();
  }

  setTimer(delayMs: number, callback: () => void, keepsProcessAlive = false): Timer {
    const handle = setTimeout(callback, Math.max(0, delayMs));
    if (!keepsProcessAlive) handle.unref();
    return { cancel: () => clearTimeout(handle) };
  }
}
