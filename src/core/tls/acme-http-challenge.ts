import type { ExchangeHandler, HttpExchange } from '../../ports/http-server';

export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';

/**
 * HTTP-01 (RFC 8555 §8.3) on the plaintext listener: `GET /.well-known/acme-challenge/TOKEN`
 * for a token being validated is answered with its key authorization, before any route or the
 * HTTPS redirect. Every other request (unknown tokens too) goes to `next`, so files a static
 * route serves under that path keep working.
 */
export class AcmeHttpChallenge implements ExchangeHandler {
  constructor(
    private readonly keyAuthorization: (token: string) => string | null,
    private readonly next: ExchangeHandler,
  ) {}

  handle(exchange: HttpExchange): void {
    const request = exchange.request;
    if ((request.method === 'GET' || request.method === 'HEAD') && request.path.startsWith(ACME_CHALLENGE_PREFIX)) {
      const answer = this.keyAuthorization(request.path.slice(ACME_CHALLENGE_PREFIX.length));
      if (answer !== null) {
        exchange.respond(200, ['content-type', 'text/plain', 'cache-control', 'no-store'], answer);
        return;
      }
    }
    this.next.handle(exchange);
  }
}
