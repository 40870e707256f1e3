import type { ExchangeHandler, HttpExchange } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { UpstreamClient, UpstreamFailure, UpstreamRequest } from '../ports/upstream-client';
import type { CompiledConfig, ForwardRoute, RedirectRoute } from './compiled-route';
import { DrainTracker } from './drain-tracker';
import { respondWithError } from './error-responses';
import { ExchangeCompletion, ForwardedExchange } from './forwarding/forwarded-exchange';
import { buildUpstreamRequestHeaders } from './forwarding/request-headers';
import { removeDotSegments, replacePrefix } from './routing/path';

/**
 * The request pipeline: match route → rewrite path → pick backend → forward → stream back.
 *
 * The compiled config is swapped as one reference on reload, and each request reads it once,
 * so a request sees either the old or the new route table, never a mix.
 */
export class ProxyPipeline implements ExchangeHandler, ExchangeCompletion {
  readonly drain = new DrainTracker();

  constructor(
    private compiled: CompiledConfig,
    private readonly upstreams: UpstreamClient,
    private readonly logger: Logger,
  ) {}

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
    const target = route.targets[route.selector.pick()];
    const rewritten = route.pathRewrite === null ? path : replacePrefix(path, route.pathPrefix, route.pathRewrite);
    const upstreamPath = target.basePath + rewritten;
    const upstreamRequest: UpstreamRequest = {
      origin: target.origin,
      method: request.method,
      pathAndQuery: request.query.length === 0 ? upstreamPath : upstreamPath + '?' + request.query,
      headers: buildUpstreamRequestHeaders(request, target.authority, route.policy),
      body: request.body,
      connectTimeoutMs: route.connectTimeoutMs,
      responseTimeoutMs: route.responseTimeoutMs,
    };
    this.drain.begin();
    new ForwardedExchange(exchange, upstreamRequest, this).start(this.upstreams);
  }

  exchangeFinished(): void {
    this.drain.end();
  }

  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest): void {
    this.logger.warn('upstream request failed', {
      origin: request.origin,
      method: request.method,
      path: request.pathAndQuery,
      kind: failure.kind,
      detail: failure.detail,
    });
  }
}

function redirect(exchange: HttpExchange, route: RedirectRoute): void {
  exchange.respond(route.status, route.headers, null);
}
