import type { HttpExchange } from '../ports/http-server';

/** Stable error codes sent to clients. Details stay in the operator's log. */
export type ErrorCode =
  | 'bad_request'
  | 'no_route'
  | 'not_found'
  | 'method_not_allowed'
  | 'range_not_satisfiable'
  | 'payload_too_large'
  | 'not_implemented'
  | 'bad_gateway'
  | 'service_unavailable'
  | 'gateway_timeout'
  | 'internal_error';

const JSON_HEADERS: readonly string[] = ['content-type', 'application/json'];
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

export function respondWithError(
  exchange: HttpExchange,
  status: number,
  code: ErrorCode,
  extraHeaders: readonly string[] | null = null,
): void {
  const headers = extraHeaders === null ? JSON_HEADERS : [...JSON_HEADERS, ...extraHeaders];
  exchange.respond(status, headers, errorBody(code, status));
}
