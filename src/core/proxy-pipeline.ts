import type { Clock } from '../ports/clock';
import type { ExchangeHandler, HttpExchange } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { UpstreamClient, UpstreamFailure, UpstreamRequest } from '../ports/upstream-client';
import { hashKeyOf } from './balancing/hash-key';
import type { CompiledConfig, ForwardRoute, RedirectRoute } from './compiled-route';
import { DrainTracker } from './drain-tracker';
import { respondWithError } from './error-responses';
import { ExchangeCompletion, ForwardingContext, ProxiedRequest } from './forwarding/proxied-request';
import { removeDotSegments, replacePrefix } from './routing/path';

/**
 * The request pipeline: match route → rewrite path → pick backend → forward → stream back.
 *
 * The compiled config is swapped as one reference on reload, and each request reads it once,
 * so a request sees either the old or the new route table, never a mix; a request keeps the
 * route (and so the backends) it started with until it ends.
 */
export class ProxyPipeline implements ExchangeHandler, ExchangeCompletion {
  readonly drain = new DrainTracker();
  private readonly forwarding: ForwardingContext;

  constructor(
    private compiled: CompiledConfig,
    upstreams: UpstreamClient,
    clock: Clock,
    private readonly logger: Logger,
  ) {
    this.forwarding = { upstreams, clock, completion: this };
  }

  get current(): CompiledConfig {
    return this.compiled;
  }

  replaceConfig(next: CompiledConfig): void {
    this.compiled = next;
  }

  handle(exchange: HttpExchange): void {
    const request = exchange.request;
    const path = removeDotSegments(request.path);
    const route = this.compiled.routes.match(request.hostname, path);
    if (route === null) return respondWithError(exchange, 404, 'no_route');
    switch (route.kind) {
      case 'forward':
        return this.forward(exchange, route, path);
      case 'redirect':
        return redirect(exchange, route);
      case 'pending':
        return respondWithError(exchange, 501, 'not_implemented');
    }
  }

  private forward(exchange: HttpExchange, route: ForwardRoute, path: string): void {
    const request = exchange.request;
    const rewritten = route.pathRewrite === null ? path : replacePrefix(path, route.pathPrefix, route.pathRewrite);
    const pathAndQuery = request.query.length === 0 ? rewritten : rewritten + '?' + request.query;
    const hashKey = route.hashKey === null ? null : hashKeyOf(route.hashKey, route.strategy, request);
    this.drain.begin();
    new ProxiedRequest(exchange, route, pathAndQuery, hashKey, this.forwarding).start();
  }

  exchangeFinished(): void {
    this.drain.end();
  }

  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest, willRetry: boolean): void {
    this.logger.warn('upstream request failed', {
      origin: request.origin,
      method: request.method,
      path: request.pathAndQuery,
      kind: failure.kind,
      detail: failure.detail,
      retrying: willRetry,
    });
  }
}

function redirect(exchange: HttpExchange, route: RedirectRoute): void {
  exchange.respond(route.status, route.headers, null);
}
