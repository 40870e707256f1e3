import type { Clock } from '../ports/clock';
import type { ResponseCompressor } from '../ports/compression';
import type { ExchangeHandler, HttpExchange } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { RequestObserver, RequestRecord } from '../ports/request-observer';
import type { StaticFileSystem } from '../ports/static-files';
import type { UpstreamClient, UpstreamFailure, UpstreamRequest } from '../ports/upstream-client';
import { hashKeyOf } from './balancing/hash-key';
import type { CompiledConfig, CompiledRoute, ForwardRoute, RedirectRoute, StaticFilesRoute } from './compiled-route';
import { DrainTracker } from './drain-tracker';
import { ErrorCode, ErrorPages, respondWithError } from './error-responses';
import { ExchangeCompletion, ForwardingContext, ProxiedRequest } from './forwarding/proxied-request';
import { decideRateLimit, RateLimitAction, RateLimitDecision } from './rate-limit/rate-limit-decision';
import { refuseForRateLimit, reportShadowHit } from './rate-limit/rate-limit-answers';
import { CompressingExchange } from './policies/compressing-exchange';
import { withRequest } from './policies/exchange-with-request';
import type { RouteAuth } from './policies/route-auth';
import { RequestIdGenerator } from './request-id';
import { headerValue } from './static/request-headers';
import { ExchangeRules } from './rules/exchange-rules';
import { removeDotSegments, replacePrefix } from './routing/path';
import { StaticContext, StaticFileRequest } from './static/static-file-request';
import { routedBackends, WebSocketCompletion, WebSocketContext, WebSocketProxy } from './websocket/websocket-proxy';

/** `route` label of requests that matched no route. */
export const NO_ROUTE = '__none__';

/** Answers requests under the admin path prefix on the public listener, when configured. */
export type AdminMount = (exchange: HttpExchange, subPath: string) => void;

export interface PipelineDependencies {
  readonly upstreams: UpstreamClient;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: RequestObserver;
  readonly requestIds: RequestIdGenerator;
  readonly files: StaticFileSystem;
  readonly compressor: ResponseCompressor;
}

/**
 * The request pipeline: match route → rewrite path → pick backend → forward → stream back,
 * with a record of each request for metrics and the access log.
 *
 * The compiled config is swapped as one reference on reload, and each request reads it once,
 * so a request sees either the old or the new route table, never a mix; a request keeps the
 * route (and so the backends) it started with until it ends.
 */
export class ProxyPipeline implements ExchangeHandler, ExchangeCompletion, WebSocketCompletion {
  readonly drain = new DrainTracker();
  /** WebSocket upgrades and sessions not over yet; handshakes also count in `drain`. */
  private readonly webSockets = new Set<WebSocketProxy>();
  private webSocketsGone: (() => void)[] = [];
  /** Shutting down: new upgrades are answered 503 (sessions already open run on). */
  private upgradesRefused = false;
  private readonly webSocketContext: WebSocketContext;
  private readonly forwarding: ForwardingContext;
  private readonly staticFiles: StaticContext;
  private adminMount: AdminMount | null = null;

  constructor(
    private compiled: CompiledConfig,
    private readonly deps: PipelineDependencies,
  ) {
    this.forwarding = { upstreams: deps.upstreams, clock: deps.clock, completion: this, observer: deps.observer };
    this.staticFiles = { files: deps.files, logger: deps.logger, completion: this, clock: deps.clock };
    this.webSocketContext = { upstreams: deps.upstreams, clock: deps.clock, observer: deps.observer, completion: this };
  }

  /** Open WebSocket sessions (and upgrades in progress). */
  get webSocketCount(): number {
    return this.webSockets.size;
  }

  /** Resolves once no WebSocket session (or upgrade) is left. */
  webSocketsOver(): Promise<void> {
    if (this.webSockets.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => this.webSocketsGone.push(resolve));
  }

  /**
   * Close every WebSocket session with `code` (1001 at shutdown); resolves when all are over
   * (the engines end a session within 2 s of the close whatever its peers do).
   */
  closeWebSockets(code: number, reason: string): Promise<void> {
    const over = this.webSocketsOver();
    for (const proxy of [...this.webSockets]) proxy.close(code, reason);
    return over;
  }

  /** From now on an upgrade request (on a connection still open) is answered 503. */
  refuseUpgrades(): void {
    this.upgradesRefused = true;
  }

  get current(): CompiledConfig {
    return this.compiled;
  }

  replaceConfig(next: CompiledConfig): void {
    this.compiled = next;
    if (this.webSockets.size === 0) return;
    // Sessions on a route and backend the new config still has keep running; the others end after a grace.
    const routed = routedBackends(next);
    for (const proxy of this.webSockets) proxy.reviewAfterReload(routed);
  }

  /** Serves `admin.public_path` on this listener (used only when configured). */
  mountAdmin(mount: AdminMount | null): void {
    this.adminMount = mount;
  }

  handle(exchange: HttpExchange): void {
    const request = exchange.request;
    const compiled = this.compiled;
    const config = compiled.config;
    const idHeaderName = config.requestIdHeader;
    const requestId = this.deps.requestIds.forRequest(request.headers, idHeaderName);
    // Answer headers every answer to the request carries: its id, and HSTS over HTTPS.
    const idHeader: readonly string[] =
      compiled.hsts !== null && request.scheme === 'https' ? [idHeaderName, requestId, 'strict-transport-security', compiled.hsts] : [idHeaderName, requestId];
    const record: RequestRecord = {
      requestId,
      route: NO_ROUTE,
      method: request.method,
      host: request.authority,
      target: request.query.length === 0 ? request.path : request.path + '?' + request.query,
      clientIp: request.remoteAddress,
      status: 0,
      bytesIn: 0,
      bytesOut: 0,
      startedAtMs: this.deps.clock.monotonicMs(),
      durationMs: 0,
      backend: null,
      upstreamMs: null,
      retries: 0,
      errorCode: null,
      rateLimited: null,
      ipFilter: null,
      auth: null,
      accessLogged: true,
      requestHeaders: request.headers,
      protocol: request.protocol ?? 'http/1.1',
      tlsVersion: request.tlsVersion ?? null,
    };
    const path = removeDotSegments(request.path);
    const adminPrefix = config.admin.publicPathPrefix;
    if (adminPrefix !== null && this.adminMount !== null && (path === adminPrefix || path.startsWith(adminPrefix + '/'))) {
      // Operator traffic: not counted as proxied requests.
      return this.adminMount(exchange, path.slice(adminPrefix.length) || '/');
    }
    const route = compiled.routes.match(request.hostname, path);
    if (route === null) return this.answerLocally(exchange, record, 404, 'no_route', idHeader, compiled.errorPages);
    record.route = route.key;
    record.accessLogged = route.accessLog;
    if (route.ipFilter !== null) {
      const admitted = route.ipFilter.admits(request);
      record.ipFilter = admitted ? 'allow' : 'deny';
      if (!admitted) return this.answerLocally(exchange, record, 403, 'forbidden_address', idHeader, route.errorPages);
    }
    if (route.rateLimit !== null) return this.rateLimitThenDispatch(exchange, route, path, record, idHeader);
    this.dispatch(exchange, route, path, record, idHeader);
  }

  /**
   * `answerHeaders` go on every answer to the request, whoever makes it: flat `[name, value, ...]`,
   * the request id first, then the rate-limit headers of a limited route.
   */
  private dispatch(exchange: HttpExchange, route: CompiledRoute, path: string, record: RequestRecord, answerHeaders: readonly string[]): void {
    if (route.cors !== null) {
      const cors = route.cors.decide(exchange.request);
      if (cors.preflight) return this.answerPreflight(exchange, record, [...cors.headers, ...answerHeaders]);
      answerHeaders = [...answerHeaders, ...cors.headers];
    }
    if (route.auth !== null) return this.authenticateThenServe(exchange, route, route.auth, path, record, answerHeaders);
    this.serve(exchange, route, path, record, answerHeaders);
  }

  private authenticateThenServe(exchange: HttpExchange, route: CompiledRoute, auth: RouteAuth, path: string, record: RequestRecord, answerHeaders: readonly string[]): void {
    auth.check(exchange.request).then(
      (verdict) => {
        record.auth = verdict.pass ? 'allow' : 'deny';
        if (verdict.pass) return this.serve(verdict.request === exchange.request ? exchange : withRequest(exchange, verdict.request), route, path, record, answerHeaders);
        if (verdict.detail !== null) this.deps.logger.warn('auth could not be checked; request refused', { route: route.key, detail: verdict.detail });
        if (verdict.body === null) return this.answerLocally(exchange, record, verdict.status, verdict.code, [...verdict.headers, ...answerHeaders], route.errorPages);
        // The auth service's own answer (a login redirect, its 401 or 403), passed on as is.
        record.status = verdict.status;
        exchange.respond(verdict.status, [...verdict.headers, ...answerHeaders], verdict.body);
        this.observe(exchange, record);
      },
      (error: unknown) => {
        // Never a pass: an auth check that cannot finish is an error answer.
        this.deps.logger.error('auth check failed', { route: route.key, error: String(error) });
        this.answerLocally(exchange, record, 500, 'internal_error', answerHeaders, route.errorPages);
      },
    );
  }

  /** The route's own work, once every policy in front of it let the request through. */
  private serve(exchange: HttpExchange, route: CompiledRoute, path: string, record: RequestRecord, answerHeaders: readonly string[]): void {
    if (route.compression !== null && exchange.request.method !== 'HEAD' && (exchange.upgrade === undefined || exchange.upgrade === null)) {
      const coding = this.deps.compressor.negotiate(headerValue(exchange.request.headers, 'accept-encoding'), route.compression.codings);
      exchange = new CompressingExchange(exchange, route.compression, coding, this.deps.compressor);
    }
    switch (route.kind) {
      case 'forward':
        return this.forward(exchange, route, path, record, answerHeaders);
      case 'redirect':
        return this.redirect(exchange, route, record, answerHeaders);
      case 'static':
        return this.serveStatic(exchange, route, path, record, answerHeaders);
    }
  }

  private rateLimitThenDispatch(exchange: HttpExchange, route: CompiledRoute, path: string, record: RequestRecord, idHeader: readonly string[]): void {
    const decision = decideRateLimit(route.rateLimit!, exchange.request, this.deps.clock.nowMs());
    if (!(decision instanceof Promise)) return this.afterRateLimit(exchange, route, path, record, idHeader, decision);
    decision.then(
      (settled) => this.afterRateLimit(exchange, route, path, record, idHeader, settled),
      (error: unknown) => {
        // A limiter that cannot answer must not take the route down with it: serve unlimited.
        this.deps.logger.warn('rate limit store failed; request served unlimited', { route: route.key, error: String(error) });
        this.dispatch(exchange, route, path, record, idHeader);
      },
    );
  }

  private afterRateLimit(exchange: HttpExchange, route: CompiledRoute, path: string, record: RequestRecord, idHeader: readonly string[], decision: RateLimitDecision): void {
    const answerHeaders = [...idHeader, ...decision.headers];
    if (decision.action === RateLimitAction.Refuse) {
      refuseForRateLimit(exchange, route.rateLimit!, record, decision, answerHeaders, route.errorPages);
      return this.observe(exchange, record);
    }
    if (decision.action === RateLimitAction.ShadowPass) reportShadowHit(route.rateLimit!, record, this.deps.clock.monotonicMs(), this.deps.logger);
    this.dispatch(exchange, route, path, record, answerHeaders);
  }

  private forward(exchange: HttpExchange, route: ForwardRoute, path: string, record: RequestRecord, answerHeaders: readonly string[]): void {
    const request = exchange.request;
    const rewritten = route.pathRewrite === null ? path : replacePrefix(path, route.pathPrefix, route.pathRewrite);
    const pathAndQuery = request.query.length === 0 ? rewritten : rewritten + '?' + request.query;
    const hashKey = route.hashKey === null ? null : hashKeyOf(route.hashKey, route.strategy, request);
    const rules = route.rules === null ? null : new ExchangeRules(route.rules, request, path, record.requestId, this.deps.clock);
    const upgrade = exchange.upgrade;
    if (upgrade !== undefined && upgrade !== null) {
      if (!this.compiled.config.websocketEnabled) return this.answerLocally(exchange, record, 400, 'upgrade_not_allowed', answerHeaders, route.errorPages);
      if (this.upgradesRefused) return this.answerLocally(exchange, record, 503, 'service_unavailable', answerHeaders, route.errorPages);
      const proxy = new WebSocketProxy(exchange, upgrade, route, pathAndQuery, hashKey, this.webSocketContext, record, answerHeaders, rules);
      this.drain.begin();
      this.webSockets.add(proxy);
      return proxy.start();
    }
    this.drain.begin();
    new ProxiedRequest(exchange, route, pathAndQuery, hashKey, this.forwarding, record, answerHeaders, rules).start();
  }

  private serveStatic(exchange: HttpExchange, route: StaticFilesRoute, path: string, record: RequestRecord, answerHeaders: readonly string[]): void {
    // Counted like a proxied request, so graceful shutdown waits for file transfers too.
    this.drain.begin();
    new StaticFileRequest(exchange, route, path, this.staticFiles, record, answerHeaders).start();
  }

  private redirect(exchange: HttpExchange, route: RedirectRoute, record: RequestRecord, answerHeaders: readonly string[]): void {
    record.status = route.status;
    exchange.respond(route.status, [...route.headers, ...answerHeaders], null);
    this.observe(exchange, record);
  }

  /** A CORS preflight, answered here: the backend never sees it. */
  private answerPreflight(exchange: HttpExchange, record: RequestRecord, headers: readonly string[]): void {
    record.status = 204;
    exchange.respond(204, headers, null);
    this.observe(exchange, record);
  }

  private answerLocally(
    exchange: HttpExchange,
    record: RequestRecord,
    status: number,
    code: ErrorCode,
    answerHeaders: readonly string[],
    pages: ErrorPages,
  ): void {
    record.status = status;
    record.errorCode = code;
    respondWithError(exchange, status, code, answerHeaders, pages);
    this.observe(exchange, record);
  }

  handshakeSettled(): void {
    this.drain.end();
  }

  webSocketFinished(proxy: WebSocketProxy, record: RequestRecord): void {
    this.webSockets.delete(proxy);
    this.deps.observer.requestCompleted(record);
    if (this.webSockets.size === 0 && this.webSocketsGone.length > 0) {
      const waiters = this.webSocketsGone;
      this.webSocketsGone = [];
      for (const resolve of waiters) resolve();
    }
  }

  exchangeFinished(exchange: HttpExchange, record: RequestRecord): void {
    this.drain.end();
    this.observe(exchange, record);
  }

  private observe(exchange: HttpExchange, record: RequestRecord): void {
    record.bytesIn = exchange.bytesReceived;
    record.bytesOut = exchange.bytesSent;
    record.durationMs = this.deps.clock.monotonicMs() - record.startedAtMs;
    this.deps.observer.requestCompleted(record);
  }

  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest, willRetry: boolean): void {
    this.deps.logger.warn('upstream request failed', {
      origin: request.origin,
      method: request.method,
      path: request.pathAndQuery,
      kind: failure.kind,
      detail: failure.detail,
      retrying: willRetry,
    });
  }
}
