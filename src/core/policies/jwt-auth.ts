import type { Clock } from '../../ports/clock';
import type { InboundRequest } from '../../ports/http-server';
import type { JsonWebKeySet, KeySetFetcher, TokenRules, TokenVerdict, TokenVerifier } from '../../ports/json-web-tokens';
import { cookieValue } from '../balancing/hash-key';
import type { JwtAuthSpec } from '../model';
import { headerValue } from '../static/request-headers';
import { withHeaders } from './exchange-with-request';
import { KeySetCache } from './key-set-cache';
import type { AuthVerdict, RouteAuth } from './route-auth';

/** Unknown kids refetch the key set at most this often (a bound on what forged tokens can cause). */
const MIN_REFETCH_INTERVAL_MS = 30_000;

export interface JwtDependencies {
  readonly keySets: KeySetFetcher;
  readonly tokens: TokenVerifier;
  readonly clock: Clock;
}

/**
 * A route's `auth.jwt`: a bearer token (Authorization, or the configured cookie) checked against
 * the identity provider's key set; on success the named claims become request headers.
 * Failures answer 401 with a `Bearer` challenge (RFC 6750 §3); keys that cannot be had at all
 * answer 503, never a pass.
 */
export class JwtAuth implements RouteAuth {
  readonly scheme = 'jwt';
  private readonly keys: KeySetCache;
  private readonly realm: string;
  /** Removed from every passed request: client-sent copies of claim headers (forgeries) and, by default, the token. */
  private readonly removed: ReadonlySet<string>;
  private readonly claimHeaders: readonly (readonly [claim: string, header: string])[];

  constructor(
    private readonly spec: JwtAuthSpec,
    private readonly deps: JwtDependencies,
  ) {
    this.keys = new KeySetCache({ url: spec.jwksUrl, maxAgeMs: spec.jwksCacheMs, minIntervalMs: MIN_REFETCH_INTERVAL_MS }, deps.keySets, deps.clock);
    this.realm = spec.realm;
    this.claimHeaders = spec.claimsToHeaders.map((entry) => [entry.claim, entry.header] as const);
    const removed = new Set(spec.claimsToHeaders.map((entry) => entry.header));
    if (!spec.forwardCredentials) removed.add('authorization');
    this.removed = removed;
  }

  async check(request: InboundRequest): Promise<AuthVerdict> {
    const token = this.tokenOf(request);
    if (token === null) return this.refuse(null);
    let keySet = await this.keys.current();
    if (keySet === null) return { pass: false, status: 503, code: 'auth_unavailable', headers: [], body: null, detail: `JWKS ${this.spec.jwksUrl}: ${this.keys.failure ?? 'not fetched yet'}` };
    let verdict = await this.verify(token, keySet);
    if (verdict.kind === 'unknown_key') {
      // Keys rotate: a kid the set lacks may be new. Fetch once more (rate-bounded), then decide.
      const fresh: JsonWebKeySet | null = await this.keys.refreshed(keySet);
      if (fresh !== null) {
        keySet = fresh;
        verdict = await this.verify(token, keySet);
      }
    }
    if (verdict.kind === 'unknown_key') return this.refuse('no key of the issuer matches the token');
    if (verdict.kind === 'invalid') return this.refuse(verdict.reason);
    return { pass: true, request: withHeaders(request, this.removed, this.identityHeaders(verdict.claims)) };
  }

  private verify(token: string, keySet: JsonWebKeySet): Promise<TokenVerdict> {
    const rules: TokenRules = { issuer: this.spec.issuer, audience: this.spec.audience, algorithms: this.spec.algorithms, leewaySecs: this.spec.leewaySecs, nowMs: this.deps.clock.nowMs() };
    return this.deps.tokens.verify(token, keySet, rules);
  }

  private tokenOf(request: InboundRequest): string | null {
    const authorization = headerValue(request.headers, 'authorization');
    if (authorization !== null) {
      const match = /^bearer[ ]+([A-Za-z0-9._~+/-]+=*)[ ]*$/i.exec(authorization);
      return match === null ? null : match[1];
    }
    if (this.spec.tokenCookie === null) return null;
    const cookie = cookieValue(request.headers, this.spec.tokenCookie);
    return cookie === null || cookie === '' ? null : cookie;
  }

  /** 401: without a reason when the request had no token (RFC 6750 §3.1), else `invalid_token`. */
  private refuse(reason: string | null): AuthVerdict {
    const challenge = reason === null ? `Bearer realm="${this.realm}"` : `Bearer realm="${this.realm}", error="invalid_token", error_description="${reason}"`;
    return { pass: false, status: 401, code: 'unauthorized', headers: ['www-authenticate', challenge], body: null, detail: null };
  }

  private identityHeaders(claims: Readonly<Record<string, unknown>>): string[] {
    const headers: string[] = [];
    for (const [claim, header] of this.claimHeaders) {
      const value = claims[claim];
      if (value === undefined || value === null) continue;
      headers.push(header, headerSafe(typeof value === 'string' ? value : JSON.stringify(value)));
    }
    return headers;
  }
}

/**
 * A claim as a header value: everything outside visible ASCII and space (CR, LF, NUL, other
 * controls, non-ASCII) percent-encoded, so a claim can neither split the request head nor carry
 * bytes an upstream would refuse.
 */
export function headerSafe(value: string): string {
  return value.replace(/[^\x20-\x7e]/gu, (char) => (char.length === 1 && char >= '\ud800' && char <= '\udfff' ? '%EF%BF%BD' : encodeURIComponent(char))).trim();
}
