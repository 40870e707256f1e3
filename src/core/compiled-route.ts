import type { ProxConfig, RouteConfig } from '../config/model';
import type { RandomSource } from '../ports/random';
import { BackendSelector, RandomSelector, RoundRobinSelector, SoleBackendSelector } from './balancing/backend-selector';
import type { ForwardingPolicy } from './forwarding/request-headers';
import { parseUpstreamTarget, UpstreamTarget } from './forwarding/upstream-target';
import { RouteTable } from './routing/route-table';

/**
 * A route turned into what the request path needs, once per config load, so a request does no
 * config interpretation (no defaults, no URL parsing, no string building beyond its own path).
 */
export type CompiledRoute = ForwardRoute | RedirectRoute | PendingFeatureRoute;

interface CompiledRouteBase {
  readonly key: string;
  readonly host: string | null;
  readonly pathPrefix: string;
}

export interface ForwardRoute extends CompiledRouteBase {
  readonly kind: 'forward';
  readonly targets: readonly UpstreamTarget[];
  readonly selector: BackendSelector;
  /** Replacement for the matched prefix; null keeps the path. */
  readonly pathRewrite: string | null;
  readonly policy: ForwardingPolicy;
  readonly connectTimeoutMs: number;
  readonly responseTimeoutMs: number;
}

export interface RedirectRoute extends CompiledRouteBase {
  readonly kind: 'redirect';
  readonly status: number;
  readonly headers: readonly string[];
}

/** A route type that validates but whose feature is not built yet: answers 501. */
export interface PendingFeatureRoute extends CompiledRouteBase {
  readonly kind: 'pending';
  readonly feature: string;
}

export interface CompiledConfig {
  readonly config: ProxConfig;
  readonly routes: RouteTable<CompiledRoute>;
  /** Every upstream origin any route may use (pools for others can be closed). */
  readonly origins: ReadonlySet<string>;
}

export interface CompileDependencies {
  readonly random: RandomSource;
  readonly isTrustedPeer: (address: string) => boolean;
}

export function compileConfig(config: ProxConfig, deps: CompileDependencies): CompiledConfig {
  const compiled = config.routes.map((route) => compileRoute(route, deps));
  const origins = new Set<string>();
  for (const route of compiled) {
    if (route.kind === 'forward') for (const target of route.targets) origins.add(target.origin);
  }
  return { config, routes: new RouteTable(compiled), origins };
}

function compileRoute(route: RouteConfig, deps: CompileDependencies): CompiledRoute {
  const base = { key: route.key, host: route.host, pathPrefix: route.pathPrefix };
  switch (route.type) {
    case 'proxy':
    case 'load_balance': {
      const urls = route.type === 'proxy' ? [route.target] : route.targets;
      const targets = urls.map(parseUpstreamTarget);
      return {
        ...base,
        kind: 'forward',
        targets,
        selector: selectorFor(route.type === 'load_balance' ? route.strategy : 'round_robin', targets.length, deps.random),
        pathRewrite: route.pathRewrite,
        policy: { preserveHost: route.preserveHost, isTrustedPeer: deps.isTrustedPeer },
        connectTimeoutMs: route.connectTimeoutSecs * 1000,
        responseTimeoutMs: route.timeoutSecs * 1000,
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
      return { ...base, kind: 'pending', feature: 'static' };
  }
}

function selectorFor(strategy: 'round_robin' | 'random', size: number, random: RandomSource): BackendSelector {
  if (size === 1) return new SoleBackendSelector();
  return strategy === 'random' ? new RandomSelector(size, random) : new RoundRobinSelector(size);
}
