import { createHash } from 'node:crypto';
import { formatListenAddress } from '../config/listen-address';
import type { ProxConfig } from '../config/model';
import { AdvanceableClock, adminHandler, adminListenerNeedsToken, AdminState, withBearerToken, withDebugClock } from './admin-endpoints';
import type { AdminServer } from '../ports/admin-server';
import type { AccessLogSink, BackendStateReason, BackendStateTarget, ProxMetrics } from '../ports/metrics';
import type { RequestObserver } from '../ports/request-observer';
import { fanOut } from './fan-out-observer';
import { ObservedBackendEvents } from './observed-backend-events';
import { RequestIdGenerator } from '../core/request-id';
import type { BackendEvents } from '../core/backends/backend-events';
import { BackendGeneration, BackendRegistry } from '../core/backends/backend-registry';
import { CompiledConfig, compileConfig } from '../core/compiled-route';
import { compileTcpListeners } from '../core/tcp/tcp-listener';
import { ProxyPipeline } from '../core/proxy-pipeline';
import { HttpsRedirect } from '../core/tls/https-redirect';
import type { Clock } from '../ports/clock';
import type { HealthProbe } from '../ports/health-probe';
import type { BoundListener, HttpExchange, HttpServer, InboundEngine, ListenSpec } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { RandomSource } from '../ports/random';
import type { RateLimitStore, SharedRateLimitStore, SharedRateLimitStoreFactory } from '../ports/rate-limit-store';
import type { StaticFileSystem } from '../ports/static-files';
import type { UpstreamClient } from '../ports/upstream-client';
import type { AcmeCertificateManager, AcmeManagerFactory } from '../ports/managed-certificates';
import { AcmeHttpChallenge } from '../core/tls/acme-http-challenge';
import type { ExchangeHandler } from '../ports/http-server';
import type { TcpProxyServer } from '../ports/tcp-proxy';
import type { CompiledTcpListener } from '../core/tcp/tcp-listener';
import { TcpListeners } from './tcp-listeners';
import type { ResponseCompressor } from '../ports/compression';
import type { PasswordVerifier } from '../ports/password-verifier';
import type { AuthService } from '../ports/auth-service';
import type { KeySetFetcher, TokenVerifier } from '../ports/json-web-tokens';
import { withConfigPreview } from './config-preview';
import type { ConfigSource } from './lifecycle/config-source';
import { readBodyText } from './body-text';

export type TrustPredicateFactory = (trustedProxies: readonly string[]) => (address: string) => boolean;

export interface ProxServerParts {
  readonly httpServer: HttpServer;
  readonly upstreams: UpstreamClient;
  readonly files: StaticFileSystem;
  readonly compressor: ResponseCompressor;
  readonly passwords: PasswordVerifier;
  readonly authService: AuthService;
  /** JWKS fetches and token checks of `auth.jwt`. */
  readonly keySets: KeySetFetcher;
  readonly tokens: TokenVerifier;
  readonly healthProbe: HealthProbe & { close?(): Promise<void> };
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly trustPredicate: TrustPredicateFactory;
  readonly adminServer: AdminServer;
  readonly metrics: ProxMetrics;
  readonly accessLog: AccessLogSink;
  readonly rateLimits: RateLimitStore;
  /** TEST ONLY (PROX_TEST_CLOCK=offset): the clock the admin listener's /debug/clock moves; null in production. */
  readonly testClock?: AdvanceableClock | null;
  /** Established client connections on a local port (null where unknown). */
  readonly connectionCounter: (port: number) => number | null;
  /** Builds the certificate manager of `tls.acme`. */
  readonly acmeManagers: AcmeManagerFactory;
  /** Builds the shared store of `rate_limit_store`; absent: `rate_limit_store` is refused at start. */
  readonly sharedRateLimitStores?: SharedRateLimitStoreFactory;
  /** The `tcp:` listeners' server; absent where no TCP proxying is wired (a config with tcp listeners then fails to start). */
  readonly tcpProxy?: TcpProxyServer;
  /** The engine of the plaintext listener and why it was chosen (shown by /config); absent in tests that build a server by hand. */
  readonly engine?: InboundEngine;
}

export type ConfigApplyResult = { readonly applied: true; readonly rebound: boolean } | { readonly applied: false; readonly reason: string };

/**
 * The running proxy: its listener, the pipeline behind it, live backend state, and the
 * lifecycle around them (start, config replacement, graceful shutdown).
 */
export class ProxServer {
  private pipeline: ProxyPipeline | null = null;
  private listener: BoundListener | null = null;
  /** `tls.http_listen_addr`: plaintext beside the TLS listener (redirecting or serving routes). */
  private plainListener: BoundListener | null = null;
  private config: ProxConfig | null = null;
  private draining = false;
  private adminListener: BoundListener | null = null;
  private configHash = '';
  private readonly lastBackendEvents = new Map<string, { at: string; to: string; reason: string }>();
  private readonly backends: BackendRegistry;
  private readonly backendEvents: BackendEvents;
  private applying = false;
  /** `tls.acme`: the certificate manager of the TLS listener (one per process; settings changes apply after a restart). */
  private acme: { manager: AcmeCertificateManager; settingsKey: string } | null = null;
  /** `rate_limit_store`: the shared store the counters live in (one per process; settings changes apply after a restart). */
  private sharedRateLimits: { store: SharedRateLimitStore; settingsKey: string } | null = null;
  /** The `tcp:` listeners, by configured address. */
  private readonly tcp: TcpListeners;
  /** Whether the config running has an HTTP listener (it has none with only `tcp:` listeners). */
  private servesHttp = true;
  private configSource: ConfigSource | null = null;

  constructor(private readonly parts: ProxServerParts) {
    this.backendEvents = new ObservedBackendEvents(parts.logger, (route, backend, to, reason) => this.backendTransition(route, backend, to, reason), () => this.pipeline?.current ?? null);
    this.backends = new BackendRegistry({
      probe: parts.healthProbe,
      clock: parts.clock,
      random: parts.random,
      events: this.backendEvents,
    });
    this.tcp = new TcpListeners(parts.tcpProxy ?? null, parts.logger);
  }

  /** The bound `tcp:` listeners, by configured `listen_addr`. */
  get tcpAddresses(): ReadonlyMap<string, BoundListener> {
    return this.tcp.addresses;
  }

  /** The HTTP listener; with only `tcp:` listeners, the first of them. */
  get address(): BoundListener {
    if (this.listener === null) return this.tcp.first();
    return this.listener;
  }

  /** The admin listener, once started; null when `admin` is off. */
  get adminAddress(): BoundListener | null {
    return this.adminListener;
  }

  /** Listening, first health round done (it runs before listening), and not shutting down. */
  get ready(): boolean {
    return this.readinessProblems().length === 0;
  }

  readinessProblems(): string[] {
    const problems: string[] = [];
    if (this.config === null) problems.push('not listening yet (first health round still running)');
    if (this.draining) problems.push('shutting down');
    const acmeProblem = this.acme?.manager.readinessProblem() ?? null;
    if (acmeProblem !== null) problems.push(acmeProblem);
    const storeHealth = this.sharedRateLimits?.store.health() ?? null;
    if (storeHealth?.failsReadiness === true) problems.push(storeHealth.detail);
    return problems;
  }

  /** What /readyz reports without failing readiness (a shared store down while requests fail open or count locally). */
  readinessDetails(): string[] {
    const storeHealth = this.sharedRateLimits?.store.health() ?? null;
    return storeHealth !== null && !storeHealth.failsReadiness ? [storeHealth.detail] : [];
  }

  /** Where the counters live: the shared store when `rate_limit_store` is set, this process otherwise. */
  private get rateLimitStore(): RateLimitStore {
    return this.sharedRateLimits?.store ?? this.parts.rateLimits;
  }

  get inFlight(): number {
    return this.pipeline?.drain.count ?? 0;
  }

  /** Client connections on the listener and, with tls.http_listen_addr, on the plaintext one too. */
  private activeConnections(): number | null {
    if (this.listener === null) return 0;
    const main = this.parts.connectionCounter(this.listener.port);
    if (this.plainListener === null || main === null) return main;
    const plain = this.parts.connectionCounter(this.plainListener.port);
    return plain === null ? main : main + plain;
  }

  /** Runs the first round of health probes, then listens. */
  async start(config: ProxConfig): Promise<BoundListener> {
    this.parts.metrics.setStateSource({
      inFlightRequests: () => this.inFlight,
      activeConnections: () => this.activeConnections(),
      backends: () => this.backendHealthView(),
      accessLogDroppedLines: () => this.parts.accessLog.droppedLines(),
    });
    this.parts.accessLog.configure(config.accessLog);
    // Nobody can read metrics without the admin endpoints: then they are not collected at all.
    const metricsReadable = config.admin.enabled || config.admin.publicPathPrefix !== null;
    const observer: RequestObserver = metricsReadable ? fanOut(this.parts.metrics, this.parts.accessLog) : this.parts.accessLog;
    if (config.admin.enabled) await this.startAdmin(config);
    await this.openSharedRateLimits(config);
    const { compiled, generation, tcp } = await this.prepare(config);
    const pipeline = new ProxyPipeline(compiled, {
      upstreams: this.parts.upstreams,
      clock: this.parts.clock,
      logger: this.parts.logger,
      observer,
      requestIds: new RequestIdGenerator(this.parts.random),
      files: this.parts.files,
      compressor: this.parts.compressor,
    });
    pipeline.mountAdmin(this.publicAdminMount(config.admin.token));
    this.pipeline = pipeline;
    const acmeSettings = config.tls?.acme ?? null;
    if (acmeSettings !== null) {
      this.acme = { manager: this.parts.acmeManagers(acmeSettings), settingsKey: JSON.stringify(acmeSettings) };
      this.acme.manager.load();
    }
    this.servesHttp = config.httpListener !== false;
    try {
      if (this.servesHttp) {
        this.listener = await this.parts.httpServer.listen(this.listenSpec(config), pipeline);
        this.plainListener = await this.listenPlain(config, pipeline);
      }
      const tcpProblem = await this.tcp.apply(tcp, config.shutdownTimeoutSecs * 1000);
      if (tcpProblem !== null) throw new Error(tcpProblem);
    } catch (error) {
      this.backends.abandon(generation);
      this.pipeline = null;
      await this.listener?.stopAccepting();
      this.listener = null;
      this.acme = null;
      throw error;
    }
    // Stored certificate first (no network); an order, when needed, runs in the background.
    this.acme?.manager.start();
    this.backends.commit(generation);
    this.rateLimitStore.retainOnly(compiled.rateLimitIds);
    this.config = config;
    this.noteConfig(config);
    if (this.plainListener !== null) {
      this.parts.logger.info('plaintext listening', {
        address: formatListenAddress(this.plainListener),
        serves: config.tls?.httpRedirect === false ? 'routes' : 'redirect to https',
      });
    }
    if (this.listener !== null) {
      this.parts.logger.info('listening', {
        address: formatListenAddress(this.listener),
        protocol: this.listener.protocol,
        routes: config.routes.length,
      });
    }
    return this.listener ?? this.tcp.first();
  }

  /**
   * Applies a validated config: new backends get their first health probe first, then the
   * route table is swapped in one step. Requests already running finish on the routes they
   * started with; state of unchanged backends carries over; pools of removed origins close once
   * idle. A new listen_addr is bound before the old listener stops accepting. One at a time.
   */
  async replaceConfig(config: ProxConfig): Promise<ConfigApplyResult> {
    // Reloads are serialized (and coalesced) by the lifecycle around the server, not here.
    if (this.applying) throw new Error('a config is being applied already: apply one at a time');
    this.applying = true;
    try {
      const result = await this.apply(config);
      this.parts.metrics.configReloaded(result.applied ? 'success' : 'failed');
      return result;
    } finally {
      this.applying = false;
    }
  }

  /** A reload was refused by validation (counted; the running config stays). */
  reloadRejected(): void {
    this.parts.metrics.configReloaded('invalid');
  }

  private async apply(config: ProxConfig): Promise<ConfigApplyResult> {
    const pipeline = this.requirePipeline();
    if (this.draining) return { applied: false, reason: 'shutting down' };
    const previous = this.config!;
    if ((config.httpListener !== false) !== this.servesHttp) {
      return { applied: false, reason: 'adding or removing all routes (the HTTP listener) needs a restart; tcp listeners reload without one' };
    }
    const { compiled, generation, tcp } = await this.prepare(config);
    if (this.draining) {
      this.backends.abandon(generation);
      return { applied: false, reason: 'shutting down' };
    }
    let rebound = false;
    if (!this.servesHttp) {
      // Only tcp listeners: nothing HTTP to rebind or reload.
    } else if (!sameAddress(previous, config)) {
      let next: BoundListener;
      try {
        next = await this.parts.httpServer.listen(this.listenSpec(config), pipeline);
      } catch (error) {
        this.backends.abandon(generation);
        return { applied: false, reason: error instanceof Error ? error.message : String(error) };
      }
      const old = this.listener!;
      this.listener = next;
      await old.stopAccepting();
      rebound = true;
      this.parts.logger.info('listening', { address: formatListenAddress(next), protocol: next.protocol, replaced: formatListenAddress(old) });
    } else {
      if (!sameLimits(previous, config)) {
        this.parts.logger.warn('changed limits apply to new listeners only: restart prox (or change listen_addr) to apply them', {});
      }
      if (!sameListenerKind(previous, config)) {
        this.parts.logger.warn('turning tls on or off, or changing protocols.http2_*, applies to new listeners only: restart prox (or change listen_addr)', {});
      }
      // Every reload (file change, SIGHUP) reads the certificate files again: a renewed pair
      // goes live for new handshakes without touching open connections.
      if (this.acmeKey(config) !== (this.acme?.settingsKey ?? null)) {
        this.parts.logger.warn('changes to tls.acme (turning it on or off included) apply after a restart', {});
      }
      if (rateLimitStoreKey(config) !== (this.sharedRateLimits?.settingsKey ?? null)) {
        this.parts.logger.warn('changes to rate_limit_store (turning it on or off included) apply after a restart', {});
      }
      const tls = this.listenSpec(config).tls;
      if (tls && this.listener!.reloadCertificates !== undefined) {
        try {
          await this.listener!.reloadCertificates(tls);
        } catch (error) {
          this.backends.abandon(generation);
          return { applied: false, reason: `certificates rejected, the ones in use stay: ${error instanceof Error ? error.message : String(error)}` };
        }
      }
    }
    const plainResult = this.servesHttp ? await this.replacePlainListener(previous, config, pipeline) : null;
    if (plainResult !== null) {
      this.backends.abandon(generation);
      return { applied: false, reason: plainResult };
    }
    const tcpProblem = await this.tcp.apply(tcp, previous.shutdownTimeoutSecs * 1000);
    if (tcpProblem !== null) {
      this.backends.abandon(generation);
      return { applied: false, reason: tcpProblem };
    }
    pipeline.replaceConfig(compiled);
    this.backends.commit(generation);
    this.parts.upstreams.retainOnly(compiled.origins);
    this.rateLimitStore.retainOnly(compiled.rateLimitIds);
    this.parts.accessLog.configure(config.accessLog);
    this.config = config;
    this.noteConfig(config);
    if (!sameAdmin(previous, config)) {
      this.parts.logger.warn('admin settings changes apply after a restart', {});
    }
    if (previous.engine !== config.engine) {
      this.parts.logger.warn('engine changes apply after a restart', { running: this.parts.engine?.name ?? null, configured: config.engine });
    }
    return { applied: true, rebound };
  }

  /**
   * Stop accepting, report not-ready, let in-flight exchanges finish for up to `timeoutMs`,
   * then close upstream pools and stop health checks. Resolves with whether everything finished.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    if (this.draining) return false;
    this.draining = true;
    const startedAt = this.parts.clock.monotonicMs();
    this.pipeline?.refuseUpgrades();
    await this.plainListener?.stopAccepting();
    await this.parts.httpServer.stopAccepting();
    // TCP connections drain alongside HTTP requests, within the same timeout.
    const tcpDrained = this.tcp.drainAll(timeoutMs);
    const pipeline = this.pipeline;
    let drained = true;
    if (pipeline !== null && pipeline.drain.count > 0) {
      this.parts.logger.info('draining', { inFlight: pipeline.drain.count, timeoutMs });
      drained = await waitOrTimeout(pipeline.drain.idle(), timeoutMs);
      if (!drained) this.parts.logger.warn('shutdown timeout reached', { inFlight: pipeline.drain.count });
    }
    // WebSocket sessions do not hold the HTTP drain; they may end on their own until the
    // shutdown timeout, then the rest are closed with 1001 (going away) and end within 2 s
    // whatever their peers do.
    if (pipeline !== null && pipeline.webSocketCount > 0) {
      const left = Math.max(0, timeoutMs - (this.parts.clock.monotonicMs() - startedAt));
      this.parts.logger.info('waiting for websocket sessions', { sessions: pipeline.webSocketCount, timeoutMs: left });
      if (!(await waitOrTimeout(pipeline.webSocketsOver(), left))) {
        this.parts.logger.info('closing websocket sessions', { sessions: pipeline.webSocketCount });
        await pipeline.closeWebSockets(1001, 'server shutting down');
      }
    }
    drained = (await tcpDrained) && drained;
    this.backends.stopAll();
    this.acme?.manager.stop();
    // Past the timeout, requests still running are cut: their clients see a closed connection.
    await this.parts.upstreams.close(!drained);
    await this.parts.healthProbe.close?.();
    await this.parts.accessLog.close();
    await this.sharedRateLimits?.store.close();
    await this.adminListener?.stopAccepting();
    return drained;
  }

  /** The plaintext listener of `tls.http_listen_addr`, when configured: 308 to https or the routes. */
  private async listenPlain(config: ProxConfig, pipeline: ProxyPipeline): Promise<BoundListener | null> {
    const tls = config.tls ?? null;
    if (tls === null || tls.httpListenAddr === null) return null;
    const routesOrRedirect: ExchangeHandler = tls.httpRedirect ? new HttpsRedirect(() => this.listener?.port ?? config.listenAddr.port) : pipeline;
    const manager = this.acme?.manager ?? null;
    // HTTP-01 tokens are answered before the redirect and every route.
    const handler = manager === null ? routesOrRedirect : new AcmeHttpChallenge((token) => manager.httpChallenge(token), routesOrRedirect);
    return this.parts.httpServer.listen({ host: tls.httpListenAddr.host, port: tls.httpListenAddr.port, limits: config.limits }, handler);
  }

  /** Rebinds the plaintext listener when its address or role changed; a reason when that failed. */
  private async replacePlainListener(previous: ProxConfig, config: ProxConfig, pipeline: ProxyPipeline): Promise<string | null> {
    const before = plainListenerKey(previous);
    const after = plainListenerKey(config);
    if (before === after) return null;
    const old = this.plainListener;
    const sameAddress = JSON.stringify(previous.tls?.httpListenAddr ?? null) === JSON.stringify(config.tls?.httpListenAddr ?? null);
    // Same address, new role (redirect ↔ routes): the old one must let go of the port first.
    if (sameAddress && old !== null) {
      await old.stopAccepting();
      this.plainListener = null;
    }
    try {
      this.plainListener = await this.listenPlain(config, pipeline);
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
    if (!sameAddress) await old?.stopAccepting();
    if (this.plainListener !== null) this.parts.logger.info('plaintext listening', { address: formatListenAddress(this.plainListener) });
    return null;
  }

  /** The listen spec; with acme, the running manager's certificates (a changed acme block waits for a restart). */
  private listenSpec(config: ProxConfig): ListenSpec {
    const spec = listenSpecOf(config);
    if (spec.tls === null || spec.tls === undefined || this.acme === null) return spec;
    return { ...spec, tls: { ...spec.tls, managed: this.acme.manager } };
  }

  private acmeKey(config: ProxConfig): string | null {
    const settings = config.tls?.acme ?? null;
    return settings === null ? null : JSON.stringify(settings);
  }

  /** Connects the `rate_limit_store` before the first request; an unreachable store is reported, not fatal. */
  private async openSharedRateLimits(config: ProxConfig): Promise<void> {
    const spec = config.rateLimitStore ?? null;
    if (spec === null) return;
    const factory = this.parts.sharedRateLimitStores;
    if (factory === undefined) throw new Error('rate_limit_store is set but this prox was built without shared rate-limit stores');
    const store = factory(spec, this.parts.rateLimits);
    this.sharedRateLimits = { store, settingsKey: rateLimitStoreKey(config)! };
    await store.connect();
  }

  private async prepare(config: ProxConfig): Promise<{ compiled: CompiledConfig; generation: BackendGeneration; tcp: CompiledTcpListener[] }> {
    const generation = this.backends.beginGeneration();
    const isTrustedPeer = this.parts.trustPredicate(config.trustedProxies);
    const compiled = compileConfig(config, {
      isTrustedPeer,
      backends: generation,
      events: this.backendEvents,
      rateLimits: this.rateLimitStore,
      addressSet: this.parts.trustPredicate,
      passwords: this.parts.passwords,
      authService: this.parts.authService,
      jwt: { keySets: this.parts.keySets, tokens: this.parts.tokens, clock: this.parts.clock },
    });
    const tcp = compileTcpListeners(config.tcp ?? [], { backends: generation, events: this.backendEvents, clock: this.parts.clock, isTrustedPeer });
    await generation.startNewMonitors();
    return { compiled, generation, tcp };
  }

  private async startAdmin(config: ProxConfig): Promise<void> {
    const { host, port } = config.admin.listenAddr;
    const testClock = this.parts.testClock ?? null;
    const open = testClock === null ? this.adminEndpoints : withDebugClock(this.adminEndpoints, testClock);
    const handler = adminListenerNeedsToken(config.admin) ? withBearerToken(open, config.admin.token!) : open;
    if (testClock !== null) this.parts.logger.warn('TEST CLOCK ACTIVE (PROX_TEST_CLOCK=offset): POST /debug/clock moves time; never use in production', {});
    this.adminListener = await this.parts.adminServer.listen(host, port, handler);
    this.parts.logger.info('admin listening', { address: formatListenAddress(this.adminListener) });
  }

  private readonly adminEndpoints = withConfigPreview(
    adminHandler({
      state: () => this.adminState(),
      metrics: async () => ({ contentType: this.parts.metrics.contentType, body: await this.parts.metrics.exposition() }),
    }),
    {
      running: () => this.config,
      source: () => this.configSource,
      trustPredicate: (trustedProxies) => this.parts.trustPredicate(trustedProxies),
      nowMs: () => this.parts.clock.nowMs(),
    },
  );

  /** What reloads read, for the admin's `POST /reload?dry_run=1`; told by the lifecycle. */
  useConfigSource(source: ConfigSource): void {
    this.configSource = source;
  }

  /** `admin.public_path` on the public listener: same endpoints, answered through the exchange. */
  private publicAdminMount(token: string | null) {
    // The checks refuse public_path without a token; null only reaches here from a hand-built config.
    const endpoints = token === null ? this.adminEndpoints : withBearerToken(this.adminEndpoints, token);
    return (exchange: HttpExchange, subPath: string): void => {
      const { request } = exchange;
      const body = { contentType: headerValue(request.headers, 'content-type'), read: (maxBytes: number) => readBodyText(request.body, maxBytes) };
      void endpoints(request.method, subPath, request.query, headerValue(request.headers, 'authorization'), body).then(
        (answer) => {
          const challenge = answer.status === 401 ? ['www-authenticate', 'Bearer'] : [];
          if (!exchange.finished) exchange.respond(answer.status, ['content-type', answer.contentType, 'cache-control', 'no-store', ...challenge], answer.body);
        },
        () => {
          if (!exchange.finished) exchange.respond(500, ['content-type', 'application/json'], '{"error":"internal_error","status":500}');
        },
      );
    };
  }

  private adminState(): AdminState {
    return {
      ready: this.ready,
      readinessProblems: this.readinessProblems(),
      readinessDetails: this.readinessDetails(),
      compiled: this.pipeline?.current ?? null,
      configHash: this.configHash,
      engine: this.parts.engine ?? null,
      nowMonotonicMs: this.parts.clock.monotonicMs(),
      lastBackendEvent: (route, backend) => this.lastBackendEvents.get(route + '\n' + backend) ?? null,
      certificates: this.listener?.servedCertificates?.() ?? [],
      acme: this.acme?.manager.status() ?? null,
      tcpListeners: this.tcp.running(),
    };
  }

  private *backendHealthView(): Iterable<{ route: string; backend: string; healthy: boolean; breaker: 'closed' | 'open' | 'half_open' | null }> {
    const compiled = this.pipeline?.current;
    if (compiled === undefined) return;
    const now = this.parts.clock.monotonicMs();
    for (const pool of this.tcp.pools()) {
      for (const member of pool.pool.members) yield { route: pool.pool.routeKey, backend: member.target.url, healthy: member.isHealthy(now), breaker: null };
    }
    for (const route of compiled.routes.all()) {
      if (route.kind !== 'forward') continue;
      for (const member of route.pool.members) {
        yield { route: route.key, backend: member.target.url, healthy: member.isHealthy(now), breaker: member.breaker === null ? null : member.breaker.state(now) };
      }
    }
  }

  private backendTransition(route: string, backend: string, to: BackendStateTarget, reason: BackendStateReason): void {
    this.parts.metrics.backendTransition(route, backend, to, reason);
    this.lastBackendEvents.set(route + '\n' + backend, { at: new Date(this.parts.clock.nowMs()).toISOString(), to, reason });
  }

  private noteConfig(config: ProxConfig): void {
    this.configHash = createHash('sha256').update(JSON.stringify(config)).digest('hex').slice(0, 16);
    this.parts.metrics.configApplied(this.configHash, config.routes.map((route) => route.key));
  }

  private requirePipeline(): ProxyPipeline {
    if (this.pipeline === null) throw new Error('prox has not started');
    return this.pipeline;
  }
}

function sameAdmin(a: ProxConfig, b: ProxConfig): boolean {
  return JSON.stringify(a.admin) === JSON.stringify(b.admin);
}

function listenSpecOf(config: ProxConfig): ListenSpec {
  const tls = config.tls ?? null;
  return {
    host: config.listenAddr.host,
    port: config.listenAddr.port,
    limits: config.limits,
    tls:
      tls === null
        ? null
        : {
            defaultCertificate: tls.defaultCertificate,
            sniCertificates: tls.sniCertificates,
            minVersion: tls.minVersion,
            http2: tls.http2.enabled ? tls.http2 : null,
          },
  };
}

function plainListenerKey(config: ProxConfig): string {
  const tls = config.tls ?? null;
  return tls === null || tls.httpListenAddr === null ? '' : JSON.stringify([tls.httpListenAddr, tls.httpRedirect]);
}

/** Whether the main listener would be built the same (TLS or not, same HTTP/2 settings). */
function sameListenerKind(a: ProxConfig, b: ProxConfig): boolean {
  const kind = (config: ProxConfig): string => (config.tls ? JSON.stringify(config.tls.http2) : 'plaintext');
  return kind(a) === kind(b);
}

function sameAddress(a: ProxConfig, b: ProxConfig): boolean {
  return a.listenAddr.host === b.listenAddr.host && a.listenAddr.port === b.listenAddr.port;
}

function sameLimits(a: ProxConfig, b: ProxConfig): boolean {
  return (
    a.limits.maxBodyBytes === b.limits.maxBodyBytes &&
    a.limits.maxHeaderBytes === b.limits.maxHeaderBytes &&
    a.limits.maxHeaders === b.limits.maxHeaders &&
    a.limits.headerTimeoutMs === b.limits.headerTimeoutMs &&
    a.limits.bodyTimeoutMs === b.limits.bodyTimeoutMs &&
    a.limits.keepaliveTimeoutMs === b.limits.keepaliveTimeoutMs &&
    a.limits.maxConnections === b.limits.maxConnections &&
    a.limits.maxConnectionsPerIp === b.limits.maxConnectionsPerIp
  );
}

function waitOrTimeout(done: Promise<void>, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    void done.then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function rateLimitStoreKey(config: ProxConfig): string | null {
  const spec = config.rateLimitStore ?? null;
  return spec === null ? null : JSON.stringify(spec);
}

/** The first value of a header in a flat `[name, value, ...]` list (names lower-case), or null. */
function headerValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return null;
}
