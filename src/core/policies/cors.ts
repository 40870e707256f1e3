import type { InboundRequest } from '../../ports/http-server';
import type { CorsSpec } from '../model';
import { headerValue } from '../static/request-headers';

/** What the edge does with a request on a route with `cors`. */
export type CorsOutcome =
  /** A preflight: answer it here (status 204, these headers), never upstream. */
  | { readonly preflight: true; readonly headers: readonly string[] }
  /** Any other request: serve it, with these headers on every answer. */
  | { readonly preflight: false; readonly headers: readonly string[] };

const VARY_ORIGIN = ['vary', 'origin'];
const PREFLIGHT_VARY = ['vary', 'origin, access-control-request-method, access-control-request-headers'];

/**
 * A route's `cors`, compiled: header values joined once per load. An origin outside the list
 * gets no CORS headers at all (the browser then refuses); credentials are never paired with `*`
 * (validation refuses that config, and an allowed origin is echoed instead).
 */
export class CorsPolicy {
  private readonly origins: ReadonlySet<string>;
  private readonly anyOrigin: boolean;
  private readonly methods: string;
  /** null: echo what the preflight asks for (`allow_headers: ["*"]`). */
  private readonly allowHeaders: string | null;
  private readonly exposeHeaders: string | null;
  private readonly credentials: boolean;
  private readonly maxAge: string | null;

  constructor(spec: CorsSpec) {
    this.anyOrigin = spec.allowOrigins.includes('*');
    this.origins = new Set(spec.allowOrigins.map((origin) => origin.toLowerCase()));
    this.methods = spec.allowMethods.join(', ');
    this.allowHeaders = spec.allowHeaders.includes('*') ? null : spec.allowHeaders.join(', ');
    this.exposeHeaders = spec.exposeHeaders.length === 0 ? null : spec.exposeHeaders.join(', ');
    this.credentials = spec.allowCredentials;
    this.maxAge = spec.maxAgeSecs === null ? null : String(spec.maxAgeSecs);
  }

  decide(request: InboundRequest): CorsOutcome {
    const origin = headerValue(request.headers, 'origin');
    const preflight = request.method === 'OPTIONS' && origin !== null && headerValue(request.headers, 'access-control-request-method') !== null;
    if (preflight) return { preflight: true, headers: this.allows(origin) ? this.preflightHeaders(origin, request) : PREFLIGHT_VARY };
    if (origin === null || !this.allows(origin)) return { preflight: false, headers: VARY_ORIGIN };
    const headers = ['access-control-allow-origin', this.allowOriginValue(origin), 'vary', 'origin'];
    if (this.credentials) headers.push('access-control-allow-credentials', 'true');
    if (this.exposeHeaders !== null) headers.push('access-control-expose-headers', this.exposeHeaders);
    return { preflight: false, headers };
  }

  private allows(origin: string): boolean {
    return this.anyOrigin || this.origins.has(origin.toLowerCase());
  }

  private allowOriginValue(origin: string): string {
    return this.anyOrigin && !this.credentials ? '*' : origin;
  }

  private preflightHeaders(origin: string, request: InboundRequest): string[] {
    const headers = ['access-control-allow-origin', this.allowOriginValue(origin), 'access-control-allow-methods', this.methods];
    const requested = headerValue(request.headers, 'access-control-request-headers');
    const allowHeaders = this.allowHeaders ?? requested;
    if (allowHeaders !== null && allowHeaders.length > 0) headers.push('access-control-allow-headers', allowHeaders);
    if (this.credentials) headers.push('access-control-allow-credentials', 'true');
    if (this.maxAge !== null) headers.push('access-control-max-age', this.maxAge);
    headers.push(...PREFLIGHT_VARY);
    return headers;
  }
}

/** Removes the backend's own CORS answer headers: on a route with `cors` the edge alone answers. */
export function dropUpstreamCorsHeaders(headers: string[]): void {
  let kept = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i].startsWith('access-control-')) continue;
    headers[kept++] = headers[i];
    headers[kept++] = headers[i + 1];
  }
  headers.length = kept;
}
