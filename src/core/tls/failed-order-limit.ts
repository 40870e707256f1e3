/**
 * The CA's own rule (Let's Encrypt: 5 failed validations per account, name set and hour), kept
 * by prox itself so a misconfigured DNS or firewall never gets the account rate-limited: at most
 * `FAILED_ORDERS_PER_HOUR` failed orders of one name set in any sliding hour. Independent of the
 * backoff (which resets on success and on a changed name set); the times are persisted.
 */

export const FAILED_ORDERS_PER_HOUR = 5;
export const FAILED_ORDER_WINDOW_MS = 3_600_000;

/** The failure times still inside the window at `nowMs`, oldest first. */
export function recentFailures(failuresMs: readonly number[], nowMs: number): number[] {
  return failuresMs.filter((at) => at > nowMs - FAILED_ORDER_WINDOW_MS && at <= nowMs).sort((a, b) => a - b);
}

/** The history after a failure at `nowMs` (older entries dropped, so it stays small). */
export function withFailure(failuresMs: readonly number[], nowMs: number): number[] {
  return [...recentFailures(failuresMs, nowMs), nowMs];
}

/** The first moment an order may start: now, or when the oldest failure of a full window leaves it. */
export function nextOrderAllowedMs(failuresMs: readonly number[], nowMs: number): number {
  const recent = recentFailures(failuresMs, nowMs);
  if (recent.length < FAILED_ORDERS_PER_HOUR) return nowMs;
  // The window holds FAILED_ORDERS_PER_HOUR or more: wait until only FAILED_ORDERS_PER_HOUR - 1 remain.
  return recent[recent.length - FAILED_ORDERS_PER_HOUR]! + FAILED_ORDER_WINDOW_MS;
}
