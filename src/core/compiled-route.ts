import type { BalanceStrategy, HashKeySpec, ProxConfig, RetrySpec, RouteConfig } from '../config/model';
import type { BackendGeneration } from './backends/backend-registry';
import type { BackendEvents } from './backends/backend-events';
import { PoolMember } from './backends/pool-member';
import { RoutePool } from './backends/route-pool';
import type { ForwardingPolicy } from './forwarding/request-headers';
import { parseUpstreamTarget } from './forwarding/upstream-target';
import { RouteTable } from './routing/route-table';
import { compileStaticSettings, type StaticSettings } from './static/static-settings';

/**
 * A route turned into what the request path needs, once per config load, so a request does no
 * config interpretation (no defaults, no URL parsing, no string building beyond its own path).
 */
export type CompiledRoute = ForwardRoute | RedirectRoute | StaticFilesRoute;

interface CompiledRouteBase {
  readonly key: string;
  readonly host: string | null;
  readonly pathPrefix: string;
  /** Requests on this route go to the access log. */
  readonly accessLog: boolean;
}

export interface ForwardRoute extends CompiledRouteBase {
  readonly kind: 'forward';
  readonly pool: RoutePool;
  readonly strategy: BalanceStrategy;
  /** Where hash strategies take their key from; null for the others. */
  readonly hashKey: HashKeySpec | null;
  /** Replacement for the matched prefix; null keeps the path. */
  readonly pathRewrite: string | null;
  readonly policy: ForwardingPolicy;
  readonly connectTimeoutMs: number;
  /** Overall budget to the response head (retries included) and the longest body gap. */
  readonly timeoutMs: number;
  readonly retries: RetrySpec;
}

export interface RedirectRoute extends CompiledRouteBase {
  readonly kind: 'redirect';
  readonly status: number;
  readonly headers: readonly string[];
}

export interface StaticFilesRoute extends CompiledRouteBase {
  readonly kind: 'static';
  readonly files: StaticSettings;
}

export interface CompiledConfig {
  readonly config: ProxConfig;
  readonly routes: RouteTable<CompiledRoute>;
  /** Every upstream origin any route may use (pools for others can be closed). */
  readonly origins: ReadonlySet<string>;
}

export interface CompileDependencies {
  readonly isTrustedPeer: (address: string) => boolean;
  /** Where backend state comes from: reused from the running config when unchanged. */
  readonly backends: BackendGeneration;
  readonly events: BackendEvents;
}

export function compileConfig(config: ProxConfig, deps: CompileDependencies): CompiledConfig {
  const compiled = config.routes.map((route) => compileRoute(route, deps));
  const origins = new Set<string>();
  for (const route of compiled) {
    if (route.kind === 'forward') for (const member of route.pool.members) origins.add(member.target.origin);
  }
  return { config, routes: new RouteTable(compiled), origins };
}

function compileRoute(route: RouteConfig, deps: CompileDependencies): CompiledRoute {
  const base = { key: route.key, host: route.host, pathPrefix: route.pathPrefix, accessLog: route.accessLog };
  switch (route.type) {
    case 'proxy':
    case 'load_balance': {
      const strategy: BalanceStrategy = route.type === 'load_balance' ? route.strategy : 'round_robin';
      const generation = deps.backends;
      const members = route.targets.map((backend) => {
        const target = parseUpstreamTarget(backend.url);
        const health = route.healthCheck;
        return new PoolMember(
          target,
          backend.weight,
          generation.load(target),
          health === null ? null : generation.monitor(target, target.basePath + backend.healthPath, health),
          route.passiveHealth.enabled ? generation.passive(route.key, target, route.passiveHealth) : null,
          route.circuitBreaker === null ? null : generation.breaker(route.key, target, route.circuitBreaker),
        );
      });
      const balancer = generation.balancer(
        route.key,
        strategy,
        route.targets.map((backend) => ({ id: backend.url, weight: backend.weight })),
      );
      const usesHashKey = strategy === 'ip_hash' || strategy === 'consistent_hash';
      return {
        ...base,
        kind: 'forward',
        pool: new RoutePool(route.key, members, balancer, route.minHealthyPercent, deps.events),
        strategy,
        hashKey: usesHashKey && route.type === 'load_balance' ? route.hashKey : null,
        pathRewrite: route.pathRewrite,
        policy: { preserveHost: route.preserveHost, isTrustedPeer: deps.isTrustedPeer },
        connectTimeoutMs: route.connectTimeoutSecs * 1000,
        timeoutMs: route.timeoutSecs * 1000,
        retries: route.retries,
      };
    }
    case 'redirect':
      return {
        ...base,
        kind: 'redirect',
        status: route.statusCode,
        headers: ['location', route.target, 'content-type', 'text/plain; charset=utf-8'],
      };
    case 'static':
      return { ...base, kind: 'static', files: compileStaticSettings(route) };
  }
}
