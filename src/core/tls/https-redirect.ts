import type { ExchangeHandler, HttpExchange } from '../../ports/http-server';

/**
 * The plaintext listener beside a TLS one (`tls.http_redirect`): every request is answered
 * 308 to the same host, path and query over https, on the TLS listener's port (left out when
 * it is 443). 308 keeps the method and body, unlike 301/302.
 */
export class HttpsRedirect implements ExchangeHandler {
  constructor(private readonly tlsPort: () => number) {}

  handle(exchange: HttpExchange): void {
    const request = exchange.request;
    const port = this.tlsPort();
    const host = port === 443 ? request.hostname : `${request.hostname}:${port}`;
    const target = request.query.length === 0 ? request.path : `${request.path}?${request.query}`;
    // The path is as sent (absolute, from the request line); `//x` stays a path under our host.
    exchange.respond(308, ['location', `https://${host}${target.startsWith('/') ? target : '/' + target}`, 'content-type', 'text/plain'], 'Redirecting to HTTPS\n');
  }
}
