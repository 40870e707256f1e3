import type { BalanceStrategy, HealthCheckSpec, TcpBackendAddress, TcpHealthCheckSpec, TcpListenerConfig } from '../model';
import type { Clock } from '../../ports/clock';
import type { BackendGeneration } from '../backends/backend-registry';
import type { BackendEvents } from '../backends/backend-events';
import { PoolMember } from '../backends/pool-member';
import { AttemptOutcome, RoutePool } from '../backends/route-pool';
import type { UpstreamTarget } from '../forwarding/upstream-target';
import { SniTable } from '../tls/sni-table';

/** One backend of a TCP pool: where to connect, and its label in metrics and logs. */
export interface TcpBackend {
  readonly host: string;
  readonly port: number;
  /** `host:port` (`[v6]:port`). */
  readonly label: string;
}

/**
 * The backends of a TCP listener (or of one of its SNI names) with their live state: the same
 * RoutePool, balancers and health monitors as HTTP routes, keyed so they survive reloads.
 */
export class TcpPool {
  constructor(
    readonly pool: RoutePool,
    readonly backends: readonly TcpBackend[],
    private readonly usesHashKey: boolean,
    private readonly clock: Clock,
  ) {}

  /**
   * The backend for a new connection from `clientIp`, avoiding those in `tried` while another is
   * available; -1 when none may take it (or every available one failed already).
   */
  choose(clientIp: string, tried: readonly number[]): number {
    const index = this.pool.select(this.usesHashKey ? clientIp : null, this.clock.monotonicMs(), tried.length === 0 ? null : tried);
    return index === -1 || tried.includes(index) ? -1 : index;
  }

  /** A connection to `index` is being attempted (least_connections counts it). */
  begin(index: number): void {
    this.pool.begin(index, this.clock.monotonicMs());
  }

  /** That connection ended; `connected` false when the connect itself failed. */
  end(index: number, connected: boolean): void {
    this.pool.finish(index, false, connected ? AttemptOutcome.Success : AttemptOutcome.TransportFailure, this.clock.monotonicMs());
  }
}

/** A `tcp:` listener compiled for its connections: settings in milliseconds, pools, the SNI table. */
export interface CompiledTcpListener {
  /** `host:port` as configured (`host:0#n` for the nth port-0 listener): its identity across reloads and its `listener` label. */
  readonly key: string;
  readonly config: TcpListenerConfig;
  /** Backends for connections no SNI name claims; null when there are none (they are closed). */
  readonly defaultPool: TcpPool | null;
  /** By SNI name; null without sni_routes (then the ClientHello is never read). */
  readonly sni: SniTable<TcpPool> | null;
  /** The pools of `sni`, in declaration order. */
  readonly sniPools: readonly TcpPool[];
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  /** Whether a PROXY header is read from this peer (accept_proxy_protocol and trusted_proxies). */
  readonly readsProxyHeaderFrom: (peerAddress: string) => boolean;
}

export interface TcpCompileDependencies {
  readonly backends: BackendGeneration;
  readonly events: BackendEvents;
  readonly clock: Clock;
  readonly isTrustedPeer: (address: string) => boolean;
}

export function compileTcpListeners(listeners: readonly TcpListenerConfig[], deps: TcpCompileDependencies): CompiledTcpListener[] {
  let anyPort = 0;
  return listeners.map((listener) => {
    const address = formatHostPort(listener.listenAddr.host, listener.listenAddr.port);
    // Port 0 (the OS picks; tests) may repeat: the nth such listener keeps its identity by its rank.
    const key = listener.listenAddr.port === 0 ? `${address}#${anyPort++}` : address;
    return compileListener(key, listener, deps);
  });
}

export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function compileListener(key: string, listener: TcpListenerConfig, deps: TcpCompileDependencies): CompiledTcpListener {
  const poolOf = (poolKey: string, backends: readonly TcpBackendAddress[]): TcpPool | null =>
    backends.length === 0 ? null : compilePool(`tcp ${poolKey}`, backends, listener.strategy, listener.healthCheck, deps);
  const sniPools = listener.sniRoutes.map((route) => poolOf(`${key} sni ${route.name}`, route.backends)!);
  const sni = sniPools.length === 0 ? null : new SniTable(listener.sniRoutes.map((route, i) => ({ names: [route.name], value: sniPools[i]! })), null);
  const isTrusted = deps.isTrustedPeer;
  return {
    key,
    config: listener,
    defaultPool: poolOf(key, listener.backends),
    sni,
    sniPools,
    connectTimeoutMs: listener.connectTimeoutSecs * 1000,
    idleTimeoutMs: listener.idleTimeoutSecs * 1000,
    readsProxyHeaderFrom: listener.acceptProxyProtocol ? isTrusted : () => false,
  };
}

function compilePool(
  poolKey: string,
  addresses: readonly TcpBackendAddress[],
  strategy: BalanceStrategy,
  check: TcpHealthCheckSpec | null,
  deps: TcpCompileDependencies,
): TcpPool {
  const generation = deps.backends;
  const health = check === null ? null : connectCheck(check);
  const backends = addresses.map((address) => ({ host: address.host, port: address.port, label: formatHostPort(address.host, address.port) }));
  const members = backends.map((backend, index) => {
    const target = tcpTarget(backend.label);
    return new PoolMember(target, addresses[index]!.weight, generation.load(target), health === null ? null : generation.monitor(target, '', health), null, null);
  });
  const balancer = generation.balancer(
    poolKey,
    strategy,
    members.map((member) => ({ id: member.target.url, weight: member.weight })),
  );
  const usesHashKey = strategy === 'ip_hash' || strategy === 'consistent_hash';
  return new TcpPool(new RoutePool(poolKey, members, balancer, 0, deps.events), backends, usesHashKey, deps.clock);
}

/** A TCP backend as the shared backend state knows it: `tcp://host:port`, probed by connecting. */
export function tcpTarget(label: string): UpstreamTarget {
  const url = `tcp://${label}`;
  return { url, origin: url, poolKey: url, tls: null, authority: label, basePath: '' };
}

/** The TCP check as the shared HealthMonitor runs it: the probe adapter connects and reports `connected`. */
function connectCheck(check: TcpHealthCheckSpec): HealthCheckSpec {
  return {
    intervalSecs: check.intervalSecs,
    timeoutSecs: check.timeoutSecs,
    path: '',
    method: 'HEAD',
    unhealthyThreshold: check.unhealthyThreshold,
    healthyThreshold: check.healthyThreshold,
    expectedStatus: [],
    expectedBody: null,
    jitter: 0.1,
  };
}
