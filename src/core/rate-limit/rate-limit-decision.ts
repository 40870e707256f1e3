import type { InboundRequest } from '../../ports/http-server';
import type { RateLimitVerdict } from '../../ports/rate-limit-store';
import { POLICY_NAME, RouteRateLimit } from './route-rate-limit';

export const enum RateLimitAction {
  /** Under the limit (or no key and on_missing_key: allow): serve it. */
  Pass,
  /** Over the limit: answer with the limit's status. */
  Refuse,
  /** Over the limit in shadow mode: serve it, but count and report it. */
  ShadowPass,
}

export interface RateLimitDecision {
  readonly action: RateLimitAction;
  /** Flat `[name, value, ...]` RateLimit headers for every answer to the request. */
  readonly headers: readonly string[];
  /** Retry-After in whole seconds when refused for the quota; 0 when waiting does not help (missing key). */
  readonly retryAfterSecs: number;
}

/**
 * Decides on one request of a rate-limited route. Synchronous with a local store; a promise only
 * when the store answers later (a shared store), so the common path never awaits.
 */
export function decideRateLimit(limit: RouteRateLimit, request: InboundRequest, nowMs: number): RateLimitDecision | Promise<RateLimitDecision> {
  const key = limit.keyOf(request);
  if (key === null) {
    const headers = ['ratelimit-policy', limit.policy];
    return { action: limit.allowsMissingKey ? RateLimitAction.Pass : RateLimitAction.Refuse, headers, retryAfterSecs: 0 };
  }
  const verdict = limit.counter.take(key, nowMs);
  if (verdict instanceof Promise) return verdict.then((settled) => decisionOf(limit, settled));
  return decisionOf(limit, verdict);
}

function decisionOf(limit: RouteRateLimit, verdict: RateLimitVerdict): RateLimitDecision {
  const headers = ['ratelimit-policy', limit.policy, 'ratelimit', rateLimitField(verdict)];
  if (verdict.allowed) return { action: RateLimitAction.Pass, headers, retryAfterSecs: 0 };
  return {
    action: limit.shadow ? RateLimitAction.ShadowPass : RateLimitAction.Refuse,
    headers,
    retryAfterSecs: wholeSecondsAtLeastOne(verdict.retryAfterMs),
  };
}

/** `"default";r=<remaining>;t=<seconds until the quota is whole again>` (draft-ietf-httpapi-ratelimit-headers-09). */
export function rateLimitField(verdict: RateLimitVerdict): string {
  return `${POLICY_NAME};r=${verdict.remaining};t=${Math.ceil(verdict.resetMs / 1000)}`;
}

/** Retry-After is whole seconds: rounded up, so a client that obeys it is never early; at least 1. */
export function wholeSecondsAtLeastOne(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
