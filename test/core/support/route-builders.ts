import type {
  BackendTarget,
  LoadBalanceRoute,
  ProxConfig,
  ProxyRoute,
  RedirectRoute,
  RouteConfig,
  RoutePolicies,
  StaticRoute,
  UpstreamOptions,
} from '../../../src/config/model';
import type { BackendEvents } from '../../../src/core/backends/backend-events';
import { BackendRegistry } from '../../../src/core/backends/backend-registry';
import { MemoryRateLimitStore } from '../../../src/adapters/memory/memory-rate-limit-store';
import { JoseTokenVerifier } from '../../../src/adapters/jwt/jose-token-verifier';
import { BcryptPasswordVerifier } from '../../../src/adapters/auth/bcrypt-password-verifier';
import { trustPredicateFor } from '../../../src/adapters/system/proxy-addr-trust';
import { CompiledConfig, compileConfig } from '../../../src/core/compiled-route';
import type { HealthProbe, ProbeRequest, ProbeResult } from '../../../src/ports/health-probe';
import type { RandomSource } from '../../../src/ports/random';
import { FakeClock } from './fake-clock';
import { SeededRandom } from './seeded-random';

/** A route without edge policies (docs/policies.md). */
export const NO_POLICIES: RoutePolicies = { ipFilter: null, cors: null, compression: null, auth: null };

/** Upstream options as the loader fills them in when nothing is configured. */
export const UPSTREAM_DEFAULTS: UpstreamOptions = {
  upstreamTls: null,
  pathRewrite: null,
  preserveHost: false,
  timeoutSecs: 60,
  connectTimeoutSecs: 5,
  healthCheck: null,
  passiveHealth: { enabled: false, consecutiveFailures: 5, ejectionSecs: 30, maxEjectionSecs: 300, count5xx: false },
  circuitBreaker: null,
  retries: { attempts: 0, on: ['connect_error'], backoffMs: 0, bufferBytes: 65536 },
  minHealthyPercent: 0,
  rules: { requestHeaders: [], responseHeaders: [], requestBody: [], responseBody: [] },
  websocket: { maxMessageBytes: 16 * 1024 * 1024, idleTimeoutSecs: 300, reloadGraceSecs: 5, allowedOrigins: null },
};

export function keyParts(key: string): { key: string; host: string | null; pathPrefix: string } {
  const slash = key.indexOf('/');
  return { key, host: slash === 0 ? null : key.slice(0, slash), pathPrefix: key.slice(slash) };
}

export function backend(url: string, weight = 1): BackendTarget {
  return { url, weight, healthPath: '/health' };
}

export function proxy(key: string, target: string, options: Partial<ProxyRoute> = {}): ProxyRoute {
  return { type: 'proxy', ...keyParts(key), accessLog: true, errorPages: [], rateLimit: null, ...NO_POLICIES, targets: [backend(target)], ...UPSTREAM_DEFAULTS, ...options };
}

export function loadBalance(key: string, targets: (string | BackendTarget)[], options: Partial<LoadBalanceRoute> = {}): LoadBalanceRoute {
  return {
    type: 'load_balance',
    ...keyParts(key),
    accessLog: true,
    errorPages: [],
    rateLimit: null,
    ...NO_POLICIES,
    targets: targets.map((t) => (typeof t === 'string' ? backend(t) : t)),
    strategy: 'round_robin',
    hashKey: { by: 'ip', name: null },
    ...UPSTREAM_DEFAULTS,
    ...options,
  };
}

export function redirectRoute(key: string, target: string, statusCode: RedirectRoute['statusCode'], options: Partial<RedirectRoute> = {}): RedirectRoute {
  return { type: 'redirect', ...keyParts(key), accessLog: true, errorPages: [], rateLimit: null, ...NO_POLICIES, target, statusCode, ...options };
}

export function staticRoute(key: string, options: Partial<StaticRoute> = {}): StaticRoute {
  return {
    type: 'static',
    ...keyParts(key),
    accessLog: true,
    errorPages: [],
    rateLimit: null,
    ...NO_POLICIES,
    root: '/srv/www',
    index: ['index.html'],
    fallback: null,
    allowDotfiles: false,
    precompressed: false,
    cacheControl: null,
    ...options,
  };
}

export function config(routes: RouteConfig[], trustedProxies: string[] = []): ProxConfig {
  return {
    listenAddr: { host: '127.0.0.1', port: 3000 },
    admin: { enabled: true, listenAddr: { host: '127.0.0.1', port: 9901 }, publicPathPrefix: null, token: null },
    accessLog: { enabled: true, format: 'json', path: null },
    errorPages: [],
    requestIdHeader: 'x-request-id',
    shutdownTimeoutSecs: 30,
    workers: 1,
    engine: 'auto',
    trustedProxies,
    limits: { maxHeaderBytes: 16384, maxHeaders: 100, maxBodyBytes: null, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: null, maxConnectionsPerIp: null },
    websocketEnabled: true,
    routes,
  };
}

/** Health probes answered by the test: each call waits until the test resolves it. */
export class ScriptedProbe implements HealthProbe {
  readonly calls: { request: ProbeRequest; resolve: (result: ProbeResult) => void }[] = [];

  probe(request: ProbeRequest): Promise<ProbeResult> {
    return new Promise((resolve) => this.calls.push({ request, resolve }));
  }

  /** Answers every pending probe of `origin` (all when omitted). */
  answer(result: ProbeResult, origin?: string): number {
    const pending = this.calls.splice(0);
    let answered = 0;
    for (const call of pending) {
      if (origin === undefined || call.request.origin === origin) {
        call.resolve(result);
        answered++;
      } else {
        this.calls.push(call);
      }
    }
    return answered;
  }
}

export class RecordingBackendEvents implements BackendEvents {
  readonly log: string[] = [];
  healthChanged(target: { url: string }, healthy: boolean): void {
    this.log.push(`${target.url} ${healthy ? 'healthy' : 'unhealthy'}`);
  }
  ejected(routeKey: string, target: { url: string }, durationMs: number): void {
    this.log.push(`${routeKey} ${target.url} ejected ${durationMs}ms`);
  }
  breakerChanged(routeKey: string, target: { url: string }, state: string): void {
    this.log.push(`${routeKey} ${target.url} breaker ${state}`);
  }
}

export interface CompileHarness {
  readonly clock: FakeClock;
  readonly probe: ScriptedProbe;
  readonly events: RecordingBackendEvents;
  readonly registry: BackendRegistry;
  readonly rateLimits: MemoryRateLimitStore;
  compile(config: ProxConfig, trusted?: (address: string) => boolean): CompiledConfig;
}

/** Compiles configs against one registry, committing each generation, like ProxServer does. */
export function compileHarness(random: RandomSource = new SeededRandom(42)): CompileHarness {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  const events = new RecordingBackendEvents();
  const registry = new BackendRegistry({ probe, clock, random, events });
  const rateLimits = new MemoryRateLimitStore();
  return {
    clock,
    probe,
    events,
    registry,
    rateLimits,
    compile(config, trusted = () => false) {
      const generation = registry.beginGeneration();
      const compiled = compileConfig(config, { isTrustedPeer: trusted, backends: generation, events, rateLimits, addressSet: trustPredicateFor, passwords: new BcryptPasswordVerifier(), authService: { check: () => Promise.resolve({ kind: 'failed', detail: 'none in unit tests' }) }, jwt: { keySets: { fetch: () => Promise.resolve({ kind: 'failed', detail: 'none in unit tests' }) }, tokens: new JoseTokenVerifier(), clock } });
      for (const monitor of generation.createdMonitors) monitor.start();
      registry.commit(generation);
      rateLimits.retainOnly(compiled.rateLimitIds);
      return compiled;
    },
  };
}
