import type { CompiledTcpListener, TcpPool } from '../core/tcp/tcp-listener';
import type { BoundListener } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { TcpBoundListener, TcpProxyServer } from '../ports/tcp-proxy';

/** A `tcp:` listener as it runs now. */
export interface RunningTcpListener {
  readonly compiled: CompiledTcpListener;
  /** `host:port` it is bound to (the OS's port for port 0); null while not bound. */
  readonly address: string | null;
  readonly openConnections: number;
}

/**
 * The running `tcp:` listeners and their reloads: a listener whose address stays gets the new
 * backends for new connections (open ones stay on their backend); a new address is bound
 * before anything else changes; a removed one stops accepting and drains in the background
 * for up to the shutdown timeout.
 */
export class TcpListeners {
  private readonly bound = new Map<string, TcpBoundListener>();
  /** The compiled listeners in use, for the health view. */
  private compiled: readonly CompiledTcpListener[] = [];
  private readonly draining = new Set<Promise<boolean>>();

  constructor(
    private readonly server: TcpProxyServer | null,
    private readonly logger: Logger,
  ) {}

  /** Bound addresses by the configured `listen_addr` (port 0 shows the OS's choice). */
  get addresses(): ReadonlyMap<string, BoundListener> {
    const out = new Map<string, BoundListener>();
    for (const [key, listener] of this.bound) out.set(key, asBoundListener(listener));
    return out;
  }

  /** Open connections on every listener, removed ones still draining included. */
  get openConnections(): number {
    let open = 0;
    for (const listener of this.bound.values()) open += listener.openConnections;
    return open;
  }

  /** Every backend pool of the running listeners (default and per SNI name). */
  *pools(): Iterable<TcpPool> {
    for (const listener of this.compiled) {
      if (listener.defaultPool !== null) yield listener.defaultPool;
      for (const pool of listener.sniPools) yield pool;
    }
  }

  /** Each running listener with its bound address and open connections (the admin `/backends` view). */
  *running(): Iterable<RunningTcpListener> {
    for (const listener of this.compiled) {
      const bound = this.bound.get(listener.key);
      yield { compiled: listener, address: bound === undefined ? null : formatBound(bound), openConnections: bound?.openConnections ?? 0 };
    }
  }

  first(): BoundListener {
    const listener = this.bound.values().next().value;
    if (listener === undefined) throw new Error('prox is not listening');
    return asBoundListener(listener);
  }

  /** Makes the listeners match `next`; a problem (an address that cannot be bound) changes nothing and is returned. */
  async apply(next: readonly CompiledTcpListener[], drainTimeoutMs: number): Promise<string | null> {
    if (next.length > 0 && this.server === null) return 'tcp listeners are not available in this build';
    const added = new Map<string, TcpBoundListener>();
    for (const listener of next) {
      if (this.bound.has(listener.key)) continue;
      try {
        added.set(listener.key, await this.server!.listen(listener));
      } catch (error) {
        for (const fresh of added.values()) await fresh.stopAccepting();
        return `tcp listener ${listener.key}: ${error instanceof Error ? error.message : String(error)}`;
      }
    }
    const wanted = new Set(next.map((listener) => listener.key));
    for (const [key, listener] of this.bound) {
      if (wanted.has(key)) continue;
      this.bound.delete(key);
      await listener.stopAccepting();
      this.logger.info('tcp listener removed; draining its connections', { address: key, open: listener.openConnections });
      const drain = listener.drain(drainTimeoutMs);
      this.draining.add(drain);
      void drain.then(() => this.draining.delete(drain));
    }
    for (const listener of next) {
      const running = this.bound.get(listener.key);
      if (running !== undefined) {
        running.replace(listener);
        continue;
      }
      const fresh = added.get(listener.key)!;
      this.bound.set(listener.key, fresh);
      this.logger.info('tcp listening', { address: formatBound(fresh), backends: listener.config.backends.length, sni_routes: listener.config.sniRoutes.length });
    }
    this.compiled = next;
    return null;
  }

  /** Stops accepting everywhere and waits for open connections up to `timeoutMs` (then closes them). */
  async drainAll(timeoutMs: number): Promise<boolean> {
    const listeners = [...this.bound.values()];
    this.bound.clear();
    for (const listener of listeners) await listener.stopAccepting();
    const results = await Promise.all([...listeners.map((listener) => listener.drain(timeoutMs)), ...this.draining]);
    return results.every(Boolean);
  }
}

function asBoundListener(listener: TcpBoundListener): BoundListener {
  return { host: listener.host, port: listener.port, protocol: 'tcp', stopAccepting: () => listener.stopAccepting() };
}

function formatBound(listener: TcpBoundListener): string {
  return listener.host.includes(':') ? `[${listener.host}]:${listener.port}` : `${listener.host}:${listener.port}`;
}
