import type { ProxConfig } from '../config/model';
import { compileConfig, CompileDependencies } from '../core/compiled-route';
import { ProxyPipeline } from '../core/proxy-pipeline';
import type { BoundListener, HttpServer } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { UpstreamClient } from '../ports/upstream-client';

export type TrustPredicateFactory = (trustedProxies: readonly string[]) => (address: string) => boolean;

export interface ProxServerParts {
  readonly httpServer: HttpServer;
  readonly upstreams: UpstreamClient;
  readonly logger: Logger;
  readonly random: CompileDependencies['random'];
  readonly trustPredicate: TrustPredicateFactory;
}

/**
 * The running proxy: one listener, the pipeline behind it, and the lifecycle around them
 * (start, config replacement, graceful shutdown).
 */
export class ProxServer {
  private pipeline: ProxyPipeline | null = null;
  private listener: BoundListener | null = null;
  private draining = false;

  constructor(private readonly parts: ProxServerParts) {}

  get address(): BoundListener {
    if (this.listener === null) throw new Error('prox is not listening');
    return this.listener;
  }

  async start(config: ProxConfig): Promise<BoundListener> {
    const pipeline = new ProxyPipeline(this.compile(config), this.parts.upstreams, this.parts.logger);
    this.pipeline = pipeline;
    this.listener = await this.parts.httpServer.listen(
      { host: config.listenAddr.host, port: config.listenAddr.port, limits: config.limits },
      pipeline,
    );
    this.parts.logger.info('listening', {
      address: formatAddress(this.listener.host, this.listener.port),
      protocol: this.listener.protocol,
      routes: config.routes.length,
    });
    return this.listener;
  }

  /** Swap the route table; requests already running keep the one they started with. */
  replaceConfig(config: ProxConfig): void {
    const pipeline = this.requirePipeline();
    const compiled = this.compile(config);
    pipeline.replaceConfig(compiled);
    this.parts.upstreams.retainOnly(compiled.origins);
  }

  get inFlight(): number {
    return this.pipeline?.drain.count ?? 0;
  }

  /**
   * Stop accepting, let in-flight exchanges finish for up to `timeoutMs`, then close upstream
   * pools. Resolves with whether everything finished in time.
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
    await this.parts.upstreams.close();
    return drained;
  }

  private compile(config: ProxConfig) {
    return compileConfig(config, {
      random: this.parts.random,
      isTrustedPeer: this.parts.trustPredicate(config.trustedProxies),
    });
  }

  private requirePipeline(): ProxyPipeline {
    if (this.pipeline === null) throw new Error('prox has not started');
    return this.pipeline;
  }
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
