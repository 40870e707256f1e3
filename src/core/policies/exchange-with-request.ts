import type { HttpExchange, InboundRequest } from '../../ports/http-server';

/**
 * The same exchange with the request seen differently (credentials removed, identity headers
 * added by auth): everything downstream, upstream headers included, reads the new request.
 */
export function withRequest(exchange: HttpExchange, request: InboundRequest): HttpExchange {
  return new Proxy(exchange, {
    get(target, property) {
      if (property === 'request') return request;
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** The request without the named (lower-case) headers, and with `added` (flat) at the end. */
export function withHeaders(request: InboundRequest, removed: ReadonlySet<string>, added: readonly string[] = []): InboundRequest {
  const headers: string[] = [];
  for (let i = 0; i < request.headers.length; i += 2) if (!removed.has(request.headers[i])) headers.push(request.headers[i], request.headers[i + 1]);
  for (const part of added) headers.push(part);
  // Field by field: an adapter's request may be its exchange object, whose state must not be copied.
  return {
    method: request.method,
    path: request.path,
    query: request.query,
    hostname: request.hostname,
    authority: request.authority,
    headers,
    remoteAddress: request.remoteAddress,
    scheme: request.scheme,
    protocol: request.protocol,
    tlsVersion: request.tlsVersion,
    body: request.body,
  };
}
