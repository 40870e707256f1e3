/**
 * When to order or renew an ACME certificate: a pure function of the stored certificate, the
 * configured names, the time and past failures. The ACME adapter asks it at start-up, after
 * every order and at every check, and sets one Clock timer for the answer.
 */

import { nextOrderAllowedMs } from './failed-order-limit';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** A certificate in use is looked at again at least this often (config changes, clock jumps). */
export const RENEWAL_CHECK_INTERVAL_MS = 12 * HOUR_MS;
/** First wait after a failed order; it doubles with every further failure. */
export const BACKOFF_BASE_MS = 5 * 60_000;
export const BACKOFF_MAX_MS = DAY_MS;
/** The renewal moment is spread over up to this share of the lifetime (at most 12 h) so fleets don't renew together. */
const JITTER_SHARE = 0.05;

export interface StoredCertificateFacts {
  /** Lower-case DNS names of the leaf. */
  readonly names: readonly string[];
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
}

export interface FailureHistory {
  /** Failed orders in a row (0: the last one worked, or none yet). */
  readonly count: number;
  readonly lastFailureMs: number;
  /** When recent orders failed at the CA (failed-order-limit.ts); kept across successes. */
  readonly recentFailuresMs?: readonly number[];
  /** Another process sharing the storage is ordering: look again at this time (not a failure). */
  readonly lockRetryAtMs?: number;
}

export interface RenewalInput {
  readonly nowMs: number;
  /** The configured names, lower-case. */
  readonly domains: readonly string[];
  readonly certificate: StoredCertificateFacts | null;
  readonly renewalDaysBeforeExpiry: number;
  /** In [0, 1): where in the jitter span this process renews (from the RandomSource, kept per certificate). */
  readonly jitter: number;
  readonly failures: FailureHistory;
}

export type OrderReason = 'no certificate' | 'names changed' | 'expired' | 'renewal due';

export type RenewalPlan =
  /** The certificate is good: serve it, look again at `checkAtMs` (the renewal moment or sooner). */
  | { readonly kind: 'wait'; readonly renewAtMs: number; readonly checkAtMs: number }
  /**
   * Order at `atMs` (now, or later after failures). `serveCurrent`: the stored certificate still
   * covers the names and has not expired, so it serves meanwhile.
   */
  | { readonly kind: 'order'; readonly atMs: number; readonly reason: OrderReason; readonly serveCurrent: boolean };

/**
 * The moment to renew: `renewal_days_before_expiry` before notAfter, but no later than 2/3 into
 * the lifetime (short-lived certificates), moved earlier by the jitter; and never before 1/3 of
 * the lifetime: a certificate shorter than the window would otherwise be renewed again the
 * moment it is issued, an endless run of orders into the CA's rate limits.
 */
export function renewalTimeMs(certificate: StoredCertificateFacts, renewalDaysBeforeExpiry: number, jitter: number): number {
  const lifetime = Math.max(0, certificate.notAfterMs - certificate.notBeforeMs);
  const byDays = certificate.notAfterMs - renewalDaysBeforeExpiry * DAY_MS;
  const byLifetime = certificate.notBeforeMs + Math.floor((lifetime * 2) / 3);
  const earliest = certificate.notBeforeMs + Math.floor(lifetime / 3);
  const spread = Math.min(lifetime * JITTER_SHARE, 12 * HOUR_MS);
  return Math.max(earliest, Math.floor(Math.min(byDays, byLifetime) - clampJitter(jitter) * spread));
}

/** Wait after `count` failed orders in a row: 5 min, 10, 20, ... at most a day (so at most 4 failures an hour). */
export function backoffMs(count: number): number {
  if (count <= 0) return 0;
  return Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(count - 1, 30));
}

/** Whether a certificate's names cover every configured name (exactly; no wildcards are ordered). */
export function coversDomains(names: readonly string[], domains: readonly string[]): boolean {
  const have = new Set(names);
  return domains.every((domain) => have.has(domain));
}

export function planRenewal(input: RenewalInput): RenewalPlan {
  const { nowMs, certificate } = input;
  const afterBackoff = input.failures.count > 0 ? Math.max(nowMs, input.failures.lastFailureMs + backoffMs(input.failures.count)) : nowMs;
  const orderAt = Math.max(afterBackoff, nextOrderAllowedMs(input.failures.recentFailuresMs ?? [], nowMs), input.failures.lockRetryAtMs ?? nowMs);
  if (certificate === null) return { kind: 'order', atMs: orderAt, reason: 'no certificate', serveCurrent: false };
  if (!coversDomains(certificate.names, input.domains)) return { kind: 'order', atMs: orderAt, reason: 'names changed', serveCurrent: false };
  if (nowMs >= certificate.notAfterMs) return { kind: 'order', atMs: orderAt, reason: 'expired', serveCurrent: false };
  const renewAtMs = renewalTimeMs(certificate, input.renewalDaysBeforeExpiry, input.jitter);
  if (nowMs < renewAtMs) return { kind: 'wait', renewAtMs, checkAtMs: Math.min(renewAtMs, nowMs + RENEWAL_CHECK_INTERVAL_MS) };
  return { kind: 'order', atMs: orderAt, reason: 'renewal due', serveCurrent: true };
}

function clampJitter(jitter: number): number {
  return Number.isFinite(jitter) ? Math.min(Math.max(jitter, 0), 1) : 0;
}
