import type { ProxConfig } from '../config/model';
import type { BackendEvents } from '../core/backends/backend-events';
import { BackendGeneration, BackendRegistry } from '../core/backends/backend-registry';
import { CompiledConfig, compileConfig } from '../core/compiled-route';
import type { UpstreamTarget } from '../core/forwarding/upstream-target';
import type { BreakerState } from '../core/health/circuit-breaker';
import { ProxyPipeline } from '../core/proxy-pipeline';
import type { Clock } from '../ports/clock';
import type { HealthProbe } from '../ports/health-probe';
import type { BoundListener, HttpServer, ListenSpec } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { RandomSource } from '../ports/random';
import type { UpstreamClient } from '../ports/upstream-client';

export type TrustPredicateFactory = (trustedProxies: readonly string[]) => (address: string) => boolean;

export interface ProxServerParts {
  readonly httpServer: HttpServer;
  readonly upstreams: UpstreamClient;
  readonly healthProbe: HealthProbe & { close?(): Promise<void> };
  readonly logger: Logger;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly trustPredicate: TrustPredicateFactory;
}

export type ReloadResult = { readonly applied: true; readonly rebound: boolean } | { readonly applied: false; readonly reason: string };

/**
 * The running proxy: its listener, the pipeline behind it, live backend state, and the
 * lifecycle around them (start, config replacement, graceful shutdown).
 */
export class ProxServer {
  private pipeline: ProxyPipeline | null = null;
  private listener: BoundListener | null = null;
  private config: ProxConfig | null = null;
  private draining = false;
  private readonly backends: BackendRegistry;
  private readonly backendEvents: BackendEvents;
  /** Reloads run one at a time, in the order they were asked for. */
  private reloads: Promise<unknown> = Promise.resolve();

  constructor(private readonly parts: ProxServerParts) {
    this.backendEvents = new LoggedBackendEvents(parts.logger);
    this.backends = new BackendRegistry({
      probe: parts.healthProbe,
      clock: parts.clock,
      random: parts.random,
      events: this.backendEvents,
    });
  }

  get address(): BoundListener {
    if (this.listener === null) throw new Error('prox is not listening');
    return this.listener;
  }

  /** Listening and not shutting down. */
  get ready(): boolean {
    return this.listener !== null && !this.draining;
  }

  get inFlight(): number {
    return this.pipeline?.drain.count ?? 0;
  }

  /** Runs the first round of health probes, then listens. */
  async start(config: ProxConfig): Promise<BoundListener> {
    const { compiled, generation } = await this.prepare(config);
    const pipeline = new ProxyPipeline(compiled, this.parts.upstreams, this.parts.clock, this.parts.logger);
    try {
      this.listener = await this.parts.httpServer.listen(listenSpecOf(config), pipeline);
    } catch (error) {
      this.backends.abandon(generation);
      throw error;
    }
    this.backends.commit(generation);
    this.pipeline = pipeline;
    this.config = config;
    this.parts.logger.info('listening', {
      address: formatAddress(this.listener.host, this.listener.port),
      protocol: this.listener.protocol,
      routes: config.routes.length,
    });
    return this.listener;
  }

  /**
   * Applies a validated config: new backends get their first health probe first, then the
   * route table is swapped in one step. Requests already running finish on the routes they
   * started with; state of unchanged backends carries over; pools of removed origins close once
   * idle. A new listen_addr is bound before the old listener stops accepting.
   */
  replaceConfig(config: ProxConfig): Promise<ReloadResult> {
    const run = this.reloads.then(() => this.apply(config));
    this.reloads = run.catch(() => undefined);
    return run;
  }

  private async apply(config: ProxConfig): Promise<ReloadResult> {
    const pipeline = this.requirePipeline();
    if (this.draining) return { applied: false, reason: 'shutting down' };
    const previous = this.config!;
    const { compiled, generation } = await this.prepare(config);
    if (this.draining) {
      this.backends.abandon(generation);
      return { applied: false, reason: 'shutting down' };
    }
    let rebound = false;
    if (!sameAddress(previous, config)) {
      let next: BoundListener;
      try {
        next = await this.parts.httpServer.listen(listenSpecOf(config), pipeline);
      } catch (error) {
        this.backends.abandon(generation);
        return { applied: false, reason: error instanceof Error ? error.message : String(error) };
      }
      const old = this.listener!;
      this.listener = next;
      await old.stopAccepting();
      rebound = true;
      this.parts.logger.info('listening', { address: formatAddress(next.host, next.port), protocol: next.protocol, replaced: formatAddress(old.host, old.port) });
    } else if (!sameLimits(previous, config)) {
      this.parts.logger.warn('changed limits apply to new listeners only: restart prox (or change listen_addr) to apply them', {});
    }
    pipeline.replaceConfig(compiled);
    this.backends.commit(generation);
    this.parts.upstreams.retainOnly(compiled.origins);
    this.config = config;
    return { applied: true, rebound };
  }

  /**
   * Stop accepting, report not-ready, let in-flight exchanges finish for up to `timeoutMs`,
   * then close upstream pools and stop health checks. Resolves with whether everything finished.
   */
  async shutdown(timeoutMs: number): Promise<boolean> {
    if (this.draining) return false;
    this.draining = true;
    await this.parts.httpServer.stopAccepting();
    const pipeline = this.pipeline;
    let drained = true;
    if (pipeline !== null && pipeline.drain.count > 0) {
      this.parts.logger.info('draining', { inFlight: pipeline.drain.count, timeoutMs });
      drained = await waitOrTimeout(pipeline.drain.idle(), timeoutMs);
      if (!drained) this.parts.logger.warn('shutdown timeout reached', { inFlight: pipeline.drain.count });
    }
    this.backends.stopAll();
    // Past the timeout, requests still running are cut: their clients see a closed connection.
    await this.parts.upstreams.close(!drained);
    await this.parts.healthProbe.close?.();
    return drained;
  }

  private async prepare(config: ProxConfig): Promise<{ compiled: CompiledConfig; generation: BackendGeneration }> {
    const generation = this.backends.beginGeneration();
    const compiled = compileConfig(config, {
      isTrustedPeer: this.parts.trustPredicate(config.trustedProxies),
      backends: generation,
      events: this.backendEvents,
    });
    await generation.startNewMonitors();
    return { compiled, generation };
  }

  private requirePipeline(): ProxyPipeline {
    if (this.pipeline === null) throw new Error('prox has not started');
    return this.pipeline;
  }
}

/** Backend state changes go to the log, one line each, so operators can follow an incident. */
class LoggedBackendEvents implements BackendEvents {
  constructor(private readonly logger: Logger) {}

  healthChanged(target: UpstreamTarget, healthy: boolean, reason: string): void {
    if (healthy) this.logger.info('backend healthy', { backend: target.url, reason });
    else this.logger.warn('backend unhealthy', { backend: target.url, reason });
  }

  ejected(routeKey: string, target: UpstreamTarget, durationMs: number): void {
    this.logger.warn('backend ejected', { route: routeKey, backend: target.url, durationMs });
  }

  breakerChanged(routeKey: string, target: UpstreamTarget, state: BreakerState): void {
    this.logger.warn('circuit breaker ' + state, { route: routeKey, backend: target.url });
  }
}

function listenSpecOf(config: ProxConfig): ListenSpec {
  return { host: config.listenAddr.host, port: config.listenAddr.port, limits: config.limits };
}

function sameAddress(a: ProxConfig, b: ProxConfig): boolean {
  return a.listenAddr.host === b.listenAddr.host && a.listenAddr.port === b.listenAddr.port;
}

function sameLimits(a: ProxConfig, b: ProxConfig): boolean {
  return (
    a.limits.maxBodyBytes === b.limits.maxBodyBytes &&
    a.limits.maxHeaderBytes === b.limits.maxHeaderBytes &&
    a.limits.maxHeaders === b.limits.maxHeaders
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

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
