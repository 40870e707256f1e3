import { maxHeaderSize } from 'node:http';
import type { UpstreamCall, UpstreamClient, UpstreamRequest, UpstreamResponseHandler, UpstreamUpgradeHandler } from '../../ports/upstream-client';
import { Http1Exchange } from './exchange';
import { failSoon, OriginPool } from './origin-pool';
import { serializeRequestHead } from './request-head';

export interface Http1ClientTuning {
  /** Most connections per origin. */
  readonly connections: number;
  /** Longest an idle connection is kept (less when the upstream's Keep-Alive says so). */
  readonly keepAliveTimeoutMs: number;
}

const DEFAULT_TUNING: Http1ClientTuning = { connections: 256, keepAliveTimeoutMs: 4_000 };
/** How often response deadlines and idle connections are checked. */
const SWEEP_INTERVAL_MS = 250;

/**
 * UpstreamClient for proxied requests, purpose-built for HTTP/1.1: keep-alive pools per (pool key,
 * connect timeout), Node's llhttp for responses, one fixed-shape object per request and one
 * socket write per request head. Timeouts are checked by one shared sweep instead of a timer
 * per request. Upgrades (WebSocket) go to `upgrades`, which hands the connection over.
 */
export class Http1UpstreamClient implements UpstreamClient {
  private readonly pools = new Map<string, Map<number, OriginPool>>();
  private sweepTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly upgrades: UpstreamClient,
    private readonly tuning: Http1ClientTuning = DEFAULT_TUNING,
  ) {}

  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall {
    const head = serializeRequestHead(request);
    if (typeof head === 'string') {
      const refused = new Http1Exchange(handler, request.method, { text: '', contentLength: null }, null, 0, 0);
      failSoon(refused, head);
      return refused;
    }
    const exchange = new Http1Exchange(handler, request.method, head, request.body, request.headersTimeoutMs, request.bodyTimeoutMs);
    this.poolFor(request).dispatch(exchange);
    this.sweepTimer ??= setInterval(this.sweep, SWEEP_INTERVAL_MS).unref();
    return exchange;
  }

  upgrade(request: UpstreamRequest, handler: UpstreamUpgradeHandler): UpstreamCall {
    return this.upgrades.upgrade(request, handler);
  }

  retainOnly(keep: ReadonlySet<string>): void {
    for (const [poolKey, byTimeout] of this.pools) {
      if (keep.has(poolKey)) continue;
      this.pools.delete(poolKey);
      // In-flight requests finish before their connections close.
      for (const pool of byTimeout.values()) void pool.close(false);
    }
    this.upgrades.retainOnly(keep);
  }

  async close(abortInFlight = false): Promise<void> {
    const closing: Promise<void>[] = [this.upgrades.close(abortInFlight)];
    for (const byTimeout of this.pools.values()) for (const pool of byTimeout.values()) closing.push(pool.close(abortInFlight));
    this.pools.clear();
    if (this.sweepTimer !== null) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
    await Promise.all(closing);
  }

  private readonly sweep = (): void => {
    const now = performance.now();
    for (const byTimeout of this.pools.values()) for (const pool of byTimeout.values()) pool.sweep(now);
  };

  private poolFor(request: UpstreamRequest): OriginPool {
    let byTimeout = this.pools.get(request.poolKey);
    if (byTimeout === undefined) {
      byTimeout = new Map();
      this.pools.set(request.poolKey, byTimeout);
    }
    let pool = byTimeout.get(request.connectTimeoutMs);
    if (pool === undefined) {
      pool = new OriginPool({
        origin: request.origin,
        tls: request.tls,
        connectTimeoutMs: request.connectTimeoutMs,
        maxConnections: this.tuning.connections,
        keepAliveTimeoutMs: this.tuning.keepAliveTimeoutMs,
        maxHeaderSize,
      });
      byTimeout.set(request.connectTimeoutMs, pool);
    }
    return pool;
  }
}
