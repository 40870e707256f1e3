import type { Clock } from '../../ports/clock';
import type { HttpExchange, InboundRequest } from '../../ports/http-server';
import { clientIpOf } from '../client-ip';
import type { BodyReplacement } from './body-rules';
import { removeHeaders } from './header-rules';
import type { RouteRules } from './route-rules';
import { headerSafe, Placeholder, type PlaceholderValues } from './template';

/** Headers describing the client's body, which a replaced request body no longer matches. */
const REPLACED_REQUEST_HEADERS: ReadonlySet<string> = new Set(['content-length', 'content-type', 'content-encoding', 'transfer-encoding']);

/**
 * Headers describing the upstream's body, which a replaced response body no longer matches:
 * its type, coding, range, validators and digests (a cache must not store the replacement
 * under the original's ETag).
 */
const REPLACED_RESPONSE_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-encoding',
  'content-range',
  'content-md5',
  'content-digest',
  'repr-digest',
  'digest',
  'etag',
]);

/**
 * The rules of one route applied to one exchange. Made only for routes that have rules; it
 * carries what placeholders and conditions need and fills placeholders in when first used, so
 * an exchange whose rules never say `{client_ip}` never walks X-Forwarded-For.
 *
 * Conditions see the request path as the client sent it (dot segments resolved, before any
 * path_rewrite, no query), and every placeholder has one value per exchange: upstream and
 * response headers carry the same `{timestamp}`.
 */
export class ExchangeRules implements PlaceholderValues {
  /** The request_body replacement, decided once from the client's request. */
  readonly requestBody: BodyReplacement | null;
  private clientIp: string | null = null;
  private timestampMs = -1;
  private uriPath: string | null = null;

  constructor(
    private readonly rules: RouteRules,
    private readonly request: InboundRequest,
    private readonly path: string,
    private readonly requestId: string,
    private readonly clock: Clock,
  ) {
    const bodyRules = rules.requestBody;
    this.requestBody = bodyRules === null ? null : bodyRules.select(request.method, path, request.headers, 0);
  }

  valueOf(placeholder: Placeholder): string {
    switch (placeholder) {
      case Placeholder.ClientIp:
        return (this.clientIp ??= clientIpOf(this.request, this.rules.isTrustedPeer));
      case Placeholder.Timestamp:
        return String(Math.floor(this.nowMs() / 1000));
      case Placeholder.TimestampIso:
        return new Date(this.nowMs()).toISOString();
      case Placeholder.RequestId:
        return this.requestId;
      case Placeholder.Host:
        return this.request.hostname;
      case Placeholder.UriPath:
        return (this.uriPath ??= headerSafe(this.path));
      case Placeholder.Method:
        return this.request.method;
      case Placeholder.Route:
        return this.rules.routeLabel;
    }
  }

  private nowMs(): number {
    if (this.timestampMs < 0) this.timestampMs = this.clock.nowMs();
    return this.timestampMs;
  }

  /**
   * The header list prox built for the upstream, edited in place: framing for a replaced body
   * first, then the request header rules, which therefore have the last word (over Host,
   * X-Forwarded-* and a replacement's Content-Type too).
   */
  editUpstreamHeaders(headers: string[]): void {
    const body = this.requestBody;
    if (body !== null) {
      removeHeaders(headers, REPLACED_REQUEST_HEADERS);
      headers.push('content-length', body.contentLength, 'content-type', body.contentType);
    }
    const request = this.request;
    this.rules.requestHeaders?.apply(headers, request.method, this.path, request.headers, 0, this);
  }

  /** The response_body replacement for an answer, if one applies; 204 and 304 never get a body. */
  responseBodyFor(status: number, conditionHeaders: readonly string[]): BodyReplacement | null {
    const bodyRules = this.rules.responseBody;
    if (bodyRules === null || status === 204 || status === 304) return null;
    return bodyRules.select(this.request.method, this.path, conditionHeaders, status);
  }

  /**
   * The head sent to the client, edited in place: the original body's description dropped when
   * the body is replaced, then the response header rules. `conditionHeaders` are what
   * has_header tests: the upstream's response headers as received.
   */
  editClientHeaders(headers: string[], status: number, conditionHeaders: readonly string[], replacement: BodyReplacement | null): void {
    if (replacement !== null) {
      removeHeaders(headers, REPLACED_RESPONSE_HEADERS);
      headers.push('content-type', replacement.contentType);
    }
    this.rules.responseHeaders?.apply(headers, this.request.method, this.path, conditionHeaders, status, this);
  }

  /**
   * prox's own answer on this route (502, 503, 504, 413, ...) with the response rules applied
   * as to any other answer: status conditions see its status, has_header its own headers.
   */
  respondLocally(exchange: HttpExchange, status: number, headers: readonly string[], body: string): void {
    const replacement = this.responseBodyFor(status, headers);
    const edited = headers.slice();
    this.editClientHeaders(edited, status, headers, replacement);
    exchange.respond(status, edited, replacement === null ? body : replacement.bytes);
  }
}
