import type { RateLimitSpec } from '../model';
import type { InboundRequest } from '../../ports/http-server';
import type { RateLimitCounter, RateLimitRule, RateLimitStore } from '../../ports/rate-limit-store';
import { clientIpOf } from '../client-ip';

/** Name of prox's quota policy in the RateLimit-Policy and RateLimit fields. */
export const POLICY_NAME = '"default"';

/** The key of every request of a `by: route` limit: the route shares one quota. */
const ROUTE_KEY = '';

/**
 * A route's `rate_limit` compiled once per config load: where the key comes from, the counters
 * (from the store, kept across reloads while the counting rule is unchanged), and the parts of
 * the answers that do not change per request.
 */
export class RouteRateLimit {
  readonly counter: RateLimitCounter;
  readonly shadow: boolean;
  readonly statusCode: number;
  /** `null`: prox's JSON error body. */
  readonly message: string | null;
  readonly allowsMissingKey: boolean;
  /** Value of RateLimit-Policy, e.g. `"default";q=10;w=60`. */
  readonly policy: string;
  /** Shadow-mode log lines are throttled to one per second per route: a flood must not flood the log. */
  lastShadowLogMs = Number.NEGATIVE_INFINITY;
  shadowSuppressed = 0;

  constructor(
    readonly id: string,
    private readonly spec: RateLimitSpec,
    store: RateLimitStore,
    private readonly isTrustedPeer: (address: string) => boolean,
  ) {
    this.counter = store.counter(id, ruleOf(spec));
    this.shadow = spec.mode === 'shadow';
    this.statusCode = spec.statusCode;
    this.message = spec.message;
    this.allowsMissingKey = spec.onMissingKey === 'allow';
    this.policy = `${POLICY_NAME};q=${spec.requests};w=${spec.periodSecs}`;
  }

  get by(): RateLimitSpec['by'] {
    return this.spec.by;
  }

  /** What the request is counted under; null when `by: header` and the header is missing or empty. */
  keyOf(request: InboundRequest): string | null {
    switch (this.spec.by) {
      case 'ip':
        return clientIpOf(request, this.isTrustedPeer);
      case 'route':
        return ROUTE_KEY;
      case 'header': {
        const name = this.spec.headerName;
        const headers = request.headers;
        for (let i = 0; i < headers.length; i += 2) {
          if (headers[i] === name) return headers[i + 1].length === 0 ? null : headers[i + 1];
        }
        return null;
      }
    }
  }
}

export function ruleOf(spec: RateLimitSpec): RateLimitRule {
  return {
    algorithm: spec.algorithm,
    requests: spec.requests,
    periodMs: spec.periodSecs * 1000,
    burst: spec.burst,
    maxKeys: spec.maxKeys,
  };
}

/**
 * Identifies a route's counters: the route plus everything that decides how requests are
 * counted. Answer-only settings (status, message, mode) are left out, so changing them in a
 * reload keeps the counts; changing the counting rule starts afresh.
 */
export function rateLimitId(routeKey: string, spec: RateLimitSpec): string {
  const counting = [spec.by, spec.headerName, spec.algorithm, spec.requests, spec.periodSecs, spec.burst, spec.maxKeys];
  return routeKey + '\n' + JSON.stringify(counting);
}
