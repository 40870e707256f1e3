import { FAILED_ORDER_WINDOW_MS, FAILED_ORDERS_PER_HOUR, nextOrderAllowedMs, recentFailures, withFailure } from '../../../src/core/tls/failed-order-limit';

const MIN = 60_000;
const T0 = 1_700_000_000_000;

describe('failed-order limit: at most 5 failed orders per name set in any hour', () => {
  it('allows orders at once while fewer than 5 failed in the last hour', () => {
    let history: number[] = [];
    for (let i = 0; i < FAILED_ORDERS_PER_HOUR - 1; i++) history = withFailure(history, T0 + i * MIN);
    expect(nextOrderAllowedMs(history, T0 + 5 * MIN)).toBe(T0 + 5 * MIN);
  });

  it('after the 5th failure, waits until the oldest leaves the hour', () => {
    let history: number[] = [];
    for (let i = 0; i < FAILED_ORDERS_PER_HOUR; i++) history = withFailure(history, T0 + i * MIN);
    expect(nextOrderAllowedMs(history, T0 + 5 * MIN)).toBe(T0 + FAILED_ORDER_WINDOW_MS);
    // Just before that moment still closed, at it open again.
    expect(nextOrderAllowedMs(history, T0 + FAILED_ORDER_WINDOW_MS - 1)).toBe(T0 + FAILED_ORDER_WINDOW_MS);
    expect(nextOrderAllowedMs(history, T0 + FAILED_ORDER_WINDOW_MS)).toBe(T0 + FAILED_ORDER_WINDOW_MS);
  });

  it('never lets a 6th failure into any sliding hour, over a day of failing every minute it is allowed', () => {
    let history: number[] = [];
    const failures: number[] = [];
    let now = T0;
    const end = T0 + 24 * FAILED_ORDER_WINDOW_MS;
    for (let step = 0; step < 10_000 && now < end; step++) {
      now = Math.max(now + MIN, nextOrderAllowedMs(history, now + MIN));
      history = withFailure(history, now);
      failures.push(now);
    }
    for (const start of failures) {
      expect(failures.filter((at) => at >= start && at < start + FAILED_ORDER_WINDOW_MS).length).toBeLessThanOrEqual(FAILED_ORDERS_PER_HOUR);
    }
    // And it does not stop for good: 5 per hour, every hour.
    expect(failures.length).toBeGreaterThanOrEqual(24 * FAILED_ORDERS_PER_HOUR);
  });

  it('keeps only the last hour (the persisted list stays small) and ignores times from the future', () => {
    const history = withFailure([T0 - 2 * FAILED_ORDER_WINDOW_MS, T0 - 30 * MIN, T0 + 10 * MIN], T0);
    expect(history).toEqual([T0 - 30 * MIN, T0]);
    expect(recentFailures([T0 + MIN], T0)).toEqual([]);
  });
});
