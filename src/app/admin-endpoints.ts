import type { CompiledConfig } from '../core/compiled-route';
import type { AdminHandler, AdminResponse } from '../ports/admin-server';
import { redactUrlPassword } from '../core/redacted-url';
import type { InboundEngine } from '../ports/http-server';
import type { ServedCertificate } from '../ports/http-server';
import type { AcmeStatus } from '../ports/managed-certificates';
import { timingSafeEqual } from 'node:crypto';
import type { AdminConfig } from '../core/model';
import { isLoopbackHost } from '../config/listen-address';
import type { TcpPool } from '../core/tcp/tcp-listener';
import type { RunningTcpListener } from './tcp-listeners';

export interface AdminState {
  readonly ready: boolean;
  readonly readinessProblems: readonly string[];
  /** Degradations that leave the instance ready (e.g. the rate-limit store down with on_error: allow). */
  readonly readinessDetails: readonly string[];
  readonly compiled: CompiledConfig | null;
  readonly configHash: string;
  /** The engine serving the plaintext listener; null where unknown. */
  readonly engine?: InboundEngine | null;
  readonly nowMonotonicMs: number;
  lastBackendEvent(route: string, backend: string): { at: string; to: string; reason: string } | null;
  /** What the TLS listener serves now; empty without TLS. */
  readonly certificates: readonly ServedCertificate[];
  /** `tls.acme`: where its certificate stands; null without it. */
  readonly acme: AcmeStatus | null;
  /** The `tcp:` listeners running; empty without them. */
  readonly tcpListeners: Iterable<RunningTcpListener>;
}

export interface AdminDependencies {
  state(): AdminState;
  metrics(): Promise<{ contentType: string; body: string }>;
}

const JSON_TYPE = 'application/json';
/** Field names whose values never leave the process through /config. */
const SECRET_FIELD = /secret|password|passwd|token|api[_-]?key|authorization|cookie|private|credential|hmac/i;

/** The admin endpoints; read-only views of the running proxy. */
export function adminHandler(deps: AdminDependencies): AdminHandler {
  return async (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'method_not_allowed', allowed: ['GET', 'HEAD'] });
    switch (path) {
      case '/metrics': {
        const metrics = await deps.metrics();
        return { status: 200, contentType: metrics.contentType, body: metrics.body };
      }
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz': {
        const state = deps.state();
        return json(state.ready ? 200 : 503, { ready: state.ready, problems: state.readinessProblems, details: state.readinessDetails });
      }
      case '/routes':
        return json(200, routesView(deps.state()));
      case '/backends':
        return json(200, backendsView(deps.state()));
      case '/config': {
        const state = deps.state();
        return json(200, {
          hash: state.configHash,
          engine: state.engine ? { in_use: state.engine.name, configured: state.engine.configured, reason: state.engine.reason } : null,
          config: state.compiled === null ? null : redact(state.compiled.config),
        });
      }
      case '/certificates':
        return json(200, certificatesView(deps.state()));
      case '/':
        return json(200, { endpoints: ['/metrics', '/healthz', '/readyz', '/routes', '/backends', '/config', '/certificates'] });
      default:
        return json(404, { error: 'not_found' });
    }
  };
}

function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: JSON_TYPE, body: JSON.stringify(value, null, 2) + '\n' };
}

/**
 * Each served certificate (file or ACME) with its dates; the ACME one also with its next order
 * and last error, listed even before the first one is issued.
 */
function certificatesView(state: AdminState): unknown {
  const acme = state.acme;
  const acmeFields = {
    next_renewal: acme === null || acme.nextRenewalMs === null ? null : new Date(acme.nextRenewalMs).toISOString(),
    last_error: acme?.lastError ?? null,
    ordering: acme?.ordering ?? false,
  };
  const certificates: Record<string, unknown>[] = state.certificates.map((cert) => ({
    names: cert.names,
    issuer: cert.issuer.split('\n').join(', '),
    not_before: new Date(cert.notBeforeMs).toISOString(),
    not_after: new Date(cert.notAfterMs).toISOString(),
    source: cert.source,
    ...(cert.source === 'file' ? { cert_path: cert.certPath, next_renewal: null, last_error: null } : acmeFields),
  }));
  if (acme !== null && !state.certificates.some((cert) => cert.source === 'acme')) {
    certificates.push({ names: acme.domains, issuer: null, not_before: null, not_after: null, source: 'acme', ...acmeFields });
  }
  return { certificates };
}

/** The route table in match order, each with every default filled in. */
function routesView(state: AdminState): unknown {
  if (state.compiled === null) return { routes: [] };
  return { routes: state.compiled.config.routes.map((route) => redact(route)) };
}

function backendsView(state: AdminState): unknown {
  const compiled = state.compiled;
  const tcp = tcpBackendsView(state);
  if (compiled === null) return { routes: [], tcp };
  const now = state.nowMonotonicMs;
  const routes = [];
  for (const route of compiled.routes.all()) {
    if (route.kind !== 'forward') continue;
    routes.push({
      route: route.key,
      strategy: route.strategy,
      backends: route.pool.members.map((member) => {
        const monitor = member.monitor;
        return {
          url: member.target.url,
          weight: member.weight,
          available: member.isHealthy(now) && member.breakerAllows(now),
          healthy: monitor === null ? null : monitor.healthy,
          ejected: member.passive === null ? false : member.passive.isEjected(now),
          ejected_for_ms: member.passive === null ? 0 : Math.round(member.passive.remainingMs(now)),
          breaker: member.breaker === null ? null : member.breaker.state(now),
          in_flight: member.load.inFlight,
          last_transition: lastTransition(state, route.key, member.target.url, monitor?.lastTransition ?? null),
          recent_probes: (monitor?.recentResults ?? []).map((probe) => ({
            at: new Date(probe.at).toISOString(),
            passed: probe.passed,
            detail: probe.detail,
          })),
        };
      }),
    });
  }
  return { routes, tcp };
}

/**
 * Per `tcp:` listener: its address, open connections, and each backend pool (the default one,
 * then one per SNI name) with health and the connections each backend holds.
 */
function tcpBackendsView(state: AdminState): unknown[] {
  const now = state.nowMonotonicMs;
  const poolView = (sni: string | null, pool: TcpPool): unknown => ({
    sni,
    route: pool.pool.routeKey,
    backends: pool.pool.members.map((member, index) => {
      const monitor = member.monitor;
      return {
        address: pool.backends[index]!.label,
        url: member.target.url,
        weight: member.weight,
        available: member.isHealthy(now),
        healthy: monitor === null ? null : monitor.healthy,
        active_connections: member.load.inFlight,
        last_transition: lastTransition(state, pool.pool.routeKey, member.target.url, monitor?.lastTransition ?? null),
        recent_probes: (monitor?.recentResults ?? []).map((probe) => ({ at: new Date(probe.at).toISOString(), passed: probe.passed, detail: probe.detail })),
      };
    }),
  });
  const out = [];
  for (const listener of state.tcpListeners) {
    const { compiled } = listener;
    const pools = [];
    if (compiled.defaultPool !== null) pools.push(poolView(null, compiled.defaultPool));
    compiled.config.sniRoutes.forEach((route, i) => pools.push(poolView(route.name, compiled.sniPools[i]!)));
    out.push({
      listener: compiled.key,
      address: listener.address,
      strategy: compiled.config.strategy,
      open_connections: listener.openConnections,
      max_connections: compiled.config.maxConnections,
      pools,
    });
  }
  return out;
}

function lastTransition(
  state: AdminState,
  route: string,
  backend: string,
  health: { at: number; healthy: boolean; reason: string } | null,
): unknown {
  const event = state.lastBackendEvent(route, backend);
  const fromHealth = health === null ? null : { at: new Date(health.at).toISOString(), to: health.healthy ? 'healthy' : 'unhealthy', reason: health.reason };
  if (event === null) return fromHealth;
  if (fromHealth === null) return event;
  return event.at > fromHealth.at ? event : fromHealth;
}

/** A deep copy with secret-looking fields replaced. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value)) out[key] = SECRET_FIELD.test(key) ? '[redacted]' : redact(inner);
    return out;
  }
  return typeof value === 'string' ? redactUrlPassword(value) : value;
}

/** A clock the test-only debug endpoint can move forward. */
export interface AdvanceableClock {
  /** Returns the total offset in ms. */
  advance(ms: number): number;
  nowMs(): number;
}

/**
 * TEST ONLY: adds `POST /debug/clock?advance_ms=N` to the admin listener when prox runs with
 * PROX_TEST_CLOCK=offset, so integration tests can let time pass without sleeping. Never
 * mounted otherwise, and never on the public listener.
 */
export function withDebugClock(handler: AdminHandler, clock: AdvanceableClock): AdminHandler {
  return async (method, path, query = '', authorization, body) => {
    if (path !== '/debug/clock') return handler(method, path, query, authorization, body);
    if (method !== 'POST') return json(405, { error: 'method_not_allowed', allowed: ['POST'] });
    const advance = new URLSearchParams(query).get('advance_ms');
    const ms = advance === null ? NaN : Number(advance);
    if (!Number.isFinite(ms) || ms < 0) return json(400, { error: 'bad_request', detail: 'advance_ms must be a number of ms >= 0' });
    const offset = clock.advance(ms);
    // now_ms lets a test place itself inside an aligned rate-limit window.
    return json(200, { offset_ms: offset, now_ms: clock.nowMs() });
  };
}

/** Answered without a token everywhere: orchestrator probes carry none. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * `admin.token`: every endpoint but /healthz and /readyz needs `Authorization: Bearer <token>`;
 * anything else gets 401 before the endpoint runs. Compared in constant time.
 */
export function withBearerToken(handler: AdminHandler, token: string): AdminHandler {
  const expected = Buffer.from(`Bearer ${token}`);
  return (method, path, query, authorization, body) => {
    if (OPEN_PATHS.has(path)) return handler(method, path, query, authorization, body);
    const given = Buffer.from(authorization ?? '');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return Promise.resolve(json(401, { error: 'unauthorized', detail: 'send Authorization: Bearer <admin.token>' }));
    }
    return handler(method, path, query, authorization, body);
  };
}

/**
 * Whether the admin listener checks the token: whenever one is set, except on a loopback address,
 * which stays open for local agents (the checks refuse a non-loopback listener without a token).
 */
export function adminListenerNeedsToken(admin: AdminConfig): boolean {
  return admin.token !== null && !isLoopbackHost(admin.listenAddr.host);
}
