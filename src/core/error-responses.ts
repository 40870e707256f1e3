import type { ErrorPageSpec } from './model';
import type { HttpExchange } from '../ports/http-server';

/** Stable error codes sent to clients. Details stay in the operator's log. */
export type ErrorCode =
  | 'bad_request'
  | 'no_route'
  | 'not_found'
  | 'method_not_allowed'
  | 'range_not_satisfiable'
  | 'precondition_failed'
  | 'payload_too_large'
  | 'request_timeout'
  | 'bad_gateway'
  /** 502: the TLS handshake with an https:// backend failed (untrusted certificate, name mismatch). */
  | 'upstream_tls_error'
  | 'service_unavailable'
  | 'gateway_timeout'
  | 'internal_error'
  | 'rate_limited'
  | 'forbidden_origin'
  /** 403: the route's ip_filter refused the client's address. */
  | 'forbidden_address'
  /** 401: the route's auth refused the request's credentials (or it had none). */
  | 'unauthorized'
  /** 503: the forward-auth service did not answer (down, timeout); never a pass. */
  | 'auth_unavailable'
  | 'upgrade_not_allowed';

const JSON_TYPE = 'application/json';
const CONTENT_TYPES: Readonly<Record<ErrorPageSpec['type'], string>> = {
  json: JSON_TYPE,
  html: 'text/html; charset=utf-8',
  text: 'text/plain; charset=utf-8',
};

const bodies = new Map<string, string>();

/** Short JSON body, e.g. `{"error":"no_route","status":404}`; cached since there are few. */
export function errorBody(code: ErrorCode, status: number): string {
  const key = code + status;
  let body = bodies.get(key);
  if (body === undefined) {
    body = JSON.stringify({ error: code, status });
    bodies.set(key, body);
  }
  return body;
}

interface ErrorPage {
  readonly contentType: string;
  readonly body: string;
}

const FIRST_ERROR_STATUS = 400;

/**
 * The operator's bodies for prox's own error answers on one route (`errors:`), compiled once per
 * config load into a table indexed by status, so an error answer costs one array read.
 */
export class ErrorPages {
  static readonly BUILT_IN = new ErrorPages([]);

  private readonly byStatus: (ErrorPage | undefined)[] = [];

  constructor(specs: readonly ErrorPageSpec[]) {
    for (const spec of specs) {
      this.byStatus[spec.status - FIRST_ERROR_STATUS] = { contentType: CONTENT_TYPES[spec.type], body: spec.body };
    }
  }

  /** The configured page, or undefined for the built-in JSON. */
  pageFor(status: number): ErrorPage | undefined {
    return this.byStatus[status - FIRST_ERROR_STATUS];
  }
}

/**
 * Answers with prox's own error: the route's configured page for `status` when there is one,
 * else the short JSON naming `code`. `extraHeaders` (flat list) go on either.
 */
export function respondWithError(
  exchange: HttpExchange,
  status: number,
  code: ErrorCode,
  extraHeaders: readonly string[] | null = null,
  pages: ErrorPages = ErrorPages.BUILT_IN,
): void {
  const answer = errorAnswer(status, code, extraHeaders, pages);
  exchange.respond(status, answer.headers, answer.body);
}

export interface ErrorAnswer {
  readonly headers: readonly string[];
  readonly body: string;
}

/** Head and body of an error answer: the route's page for `status`, else the short JSON. */
export function errorAnswer(
  status: number,
  code: ErrorCode,
  extraHeaders: readonly string[] | null,
  pages: ErrorPages,
): ErrorAnswer {
  const page = pages.pageFor(status);
  const contentType = page === undefined ? JSON_TYPE : page.contentType;
  const headers = extraHeaders === null ? ['content-type', contentType] : ['content-type', contentType, ...extraHeaders];
  return { headers, body: page === undefined ? errorBody(code, status) : page.body };
}
