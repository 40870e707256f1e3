import type { AuthSpec, BalanceStrategy, HashKeySpec, ProxConfig, RetrySpec, RouteConfig, WebSocketSpec } from './model';
import { hstsHeaderValue } from './tls/hsts';
import type { RateLimitStore } from '../ports/rate-limit-store';
import type { BackendGeneration } from './backends/backend-registry';
import type { BackendEvents } from './backends/backend-events';
import { ErrorPages } from './error-responses';
import type { PasswordVerifier } from '../ports/password-verifier';
import type { AuthService } from '../ports/auth-service';
import { BasicAuth } from './policies/basic-auth';
import { ForwardAuth } from './policies/forward-auth';
import type { RouteAuth } from './policies/route-auth';
import { JwtAuth, type JwtDependencies } from './policies/jwt-auth';
import { CompressionPolicy } from './policies/compression';
import { CorsPolicy } from './policies/cors';
import { type AddressSetFactory, IpFilter } from './policies/ip-filter';
import { PoolMember } from './backends/pool-member';
import { RoutePool } from './backends/route-pool';
import type { ForwardingPolicy } from './forwarding/request-headers';
import { parseUpstreamTarget } from './forwarding/upstream-target';
import { RouteRules } from './rules/route-rules';
import { rateLimitId, RouteRateLimit } from './rate-limit/route-rate-limit';
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
  /** Bodies for prox's own error answers on this route. */
  readonly errorPages: ErrorPages;
  /** Checked after the route matched, before the request is served; null without `rate_limit`. */
  readonly rateLimit: RouteRateLimit | null;
  /** Checked first, before the rate limit; null without `ip_filter`. */
  readonly ipFilter: IpFilter | null;
  /** Preflights answered and CORS headers added; null without `cors`. */
  readonly cors: CorsPolicy | null;
  /** Streamed responses compressed when they qualify; null without `compression`. */
  readonly compression: CompressionPolicy | null;
  /** Checked after CORS preflights, before the route's work; null without `auth`. */
  readonly auth: RouteAuth | null;
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
  /** Header and body rules; null when the route has none. */
  readonly rules: RouteRules | null;
  /** Limits of WebSocket sessions (docs/websocket.md). */
  readonly webSocket: WebSocketSpec;
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
  /** The top-level error pages, for answers outside any route (no route matched). */
  readonly errorPages: ErrorPages;
  /** The pool key of every upstream any route may use (pools for others can be closed). */
  readonly origins: ReadonlySet<string>;
  /** Ids of the rate-limit counters the routes use (the store can forget the others). */
  readonly rateLimitIds: ReadonlySet<string>;
  /** Strict-Transport-Security value for answers over HTTPS; null when `tls.hsts` is off. */
  readonly hsts: string | null;
}

export interface CompileDependencies {
  readonly isTrustedPeer: (address: string) => boolean;
  /** Where backend state comes from: reused from the running config when unchanged. */
  readonly backends: BackendGeneration;
  readonly events: BackendEvents;
  /** Where rate-limit counters live: reused while a route's counting rule is unchanged. */
  readonly rateLimits: RateLimitStore;
  /** Parses address ranges (ip_filter) into a membership test. */
  readonly addressSet: AddressSetFactory;
  /** Checks passwords of `auth.basic` users. */
  readonly passwords: PasswordVerifier;
  /** Where `auth.forward` checks go. */
  readonly authService: AuthService;
  /** Key sets, token checks and time of `auth.jwt`. */
  readonly jwt: JwtDependencies;
}

export function compileConfig(config: ProxConfig, deps: CompileDependencies): CompiledConfig {
  const compiled = config.routes.map((route) => compileRoute(route, deps));
  const origins = new Set<string>();
  for (const route of compiled) {
    if (route.kind === 'forward') for (const member of route.pool.members) origins.add(member.target.poolKey);
  }
  const rateLimitIds = new Set<string>();
  for (const route of compiled) if (route.rateLimit !== null) rateLimitIds.add(route.rateLimit.id);
  const hsts = config.tls?.hsts ? hstsHeaderValue(config.tls.hsts) : null;
  return { config, routes: new RouteTable(compiled), origins, errorPages: new ErrorPages(config.errorPages), rateLimitIds, hsts };
}

function compileRoute(route: RouteConfig, deps: CompileDependencies): CompiledRoute {
  const base = {
    key: route.key,
    host: route.host,
    pathPrefix: route.pathPrefix,
    accessLog: route.accessLog,
    errorPages: new ErrorPages(route.errorPages),
    rateLimit: route.rateLimit === null ? null : new RouteRateLimit(rateLimitId(route.key, route.rateLimit), route.rateLimit, deps.rateLimits, deps.isTrustedPeer),
    ipFilter: route.ipFilter === null ? null : new IpFilter(route.ipFilter, deps.addressSet, deps.isTrustedPeer),
    cors: route.cors === null ? null : new CorsPolicy(route.cors),
    compression: route.compression === null ? null : new CompressionPolicy(route.compression),
    auth: route.auth === null ? null : compileAuth(route.auth, deps),
  };
  switch (route.type) {
    case 'proxy':
    case 'load_balance': {
      const strategy: BalanceStrategy = route.type === 'load_balance' ? route.strategy : 'round_robin';
      const generation = deps.backends;
      const members = route.targets.map((backend) => {
        const target = parseUpstreamTarget(backend.url, route.upstreamTls);
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
        rules: RouteRules.compile(route.rules, route.key, deps.isTrustedPeer),
        webSocket: route.websocket,
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

function compileAuth(spec: AuthSpec, deps: CompileDependencies): RouteAuth {
  switch (spec.scheme) {
    case 'basic':
      return new BasicAuth(spec, deps.passwords);
    case 'forward':
      return new ForwardAuth(spec, deps.authService, deps.isTrustedPeer);
    case 'jwt':
      return new JwtAuth(spec, deps.jwt);
  }
}
