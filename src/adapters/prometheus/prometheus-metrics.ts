import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { BackendStateReason, BackendStateTarget, MetricsStateSource, ProxMetrics, ReloadResult } from '../../ports/metrics';
import type { RequestRecord, UpstreamOutcome } from '../../ports/request-observer';

/** Latency buckets for a proxy: sub-millisecond local answers up to long-polling upstreams. */
export const PROXY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

const BREAKER_VALUES = { closed: 0, open: 1, half_open: 2 } as const;

interface RouteChildren {
  readonly duration: Histogram.Internal<string>;
  readonly bytesIn: Counter.Internal;
  readonly bytesOut: Counter.Internal;
}

/**
 * Prometheus metrics on prom-client. Label values come from config (route keys, target URLs)
 * and small fixed sets (method, status, outcome), never from raw traffic, so cardinality is
 * bounded by the config. Label children are cached by key so the hot path does one Map lookup
 * per metric instead of prom-client's label hashing.
 */
export class PrometheusMetrics implements ProxMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'route' | 'method' | 'status'>;
  private readonly duration: Histogram<'route'>;
  private readonly requestBytes: Counter<'route'>;
  private readonly responseBytes: Counter<'route'>;
  private readonly upstreamRequests: Counter<'route' | 'backend' | 'outcome'>;
  private readonly upstreamDuration: Histogram<'route' | 'backend'>;
  private readonly transitions: Counter<'route' | 'backend' | 'to' | 'reason'>;
  private readonly retries: Counter<'route'>;
  private readonly reloads: Counter<'result'>;
  private readonly configInfo: Gauge<'hash'>;
  private readonly rateLimitHits: Counter<'route'>;
  private readonly requestChildren = new Map<string, Counter.Internal>();
  private readonly routeChildren = new Map<string, RouteChildren>();
  private readonly upstreamChildren = new Map<string, { count: Counter.Internal; duration: Histogram.Internal<string> }>();
  private state: MetricsStateSource | null = null;

  constructor(build: { version: string; node: string }, withDefaultMetrics = true) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'prox_requests_total', help: 'Requests answered, by route, method and status code.', labelNames: ['route', 'method', 'status'], registers });
    this.duration = new Histogram({ name: 'prox_request_duration_seconds', help: 'Time from request arrival to the end of the response.', labelNames: ['route'], buckets: PROXY_BUCKETS, registers });
    this.requestBytes = new Counter({ name: 'prox_request_body_bytes_total', help: 'Request body bytes received from clients.', labelNames: ['route'], registers });
    this.responseBytes = new Counter({ name: 'prox_response_body_bytes_total', help: 'Response body bytes sent to clients.', labelNames: ['route'], registers });
    this.upstreamRequests = new Counter({ name: 'prox_upstream_requests_total', help: 'Upstream attempts by route, backend and outcome.', labelNames: ['route', 'backend', 'outcome'], registers });
    this.upstreamDuration = new Histogram({ name: 'prox_upstream_duration_seconds', help: 'Time from sending an upstream attempt to its response head (or failure).', labelNames: ['route', 'backend'], buckets: PROXY_BUCKETS, registers });
    this.transitions = new Counter({ name: 'prox_backend_state_transitions_total', help: 'Backend state changes by new state and cause.', labelNames: ['route', 'backend', 'to', 'reason'], registers });
    this.retries = new Counter({ name: 'prox_upstream_retries_total', help: 'Requests sent again to a backend after a failed attempt.', labelNames: ['route'], registers });
    // With workers: N every worker applies each reload: merged scrapes take the maximum, not the sum.
    this.reloads = new Counter({ name: 'prox_config_reloads_total', help: 'Config reloads by result (invalid: rejected by validation; failed: valid but could not be applied).', labelNames: ['result'], registers, aggregator: 'max' });
    this.configInfo = new Gauge({ name: 'prox_config_info', help: 'The running config, identified by the hash of its normalised form (value is always 1).', labelNames: ['hash'], registers, aggregator: 'max' });
    this.rateLimitHits = new Counter({ name: 'prox_rate_limit_hits_total', help: 'Requests refused by a rate limit.', labelNames: ['route'], registers });
    new Gauge({ name: 'prox_build_info', help: 'prox version and Node.js version (value is always 1).', labelNames: ['version', 'node'], registers, aggregator: 'max' }).set(build, 1);
    new Gauge({ name: 'prox_tls_certificate_expiry_seconds', help: 'Seconds until each served TLS certificate expires.', labelNames: ['domain'], registers, aggregator: 'min' });
    const self = this;
    new Gauge({
      name: 'prox_in_flight_requests',
      help: 'Requests being proxied right now.',
      registers,
      collect() {
        this.set(self.state?.inFlightRequests() ?? 0);
      },
    });
    new Gauge({
      name: 'prox_active_connections',
      help: 'Client connections open on the public listener.',
      registers,
      // Counted from the kernel's table for the port, which every worker sees whole.
      aggregator: 'max',
      collect() {
        const count = self.state?.activeConnections();
        if (count !== null && count !== undefined) this.set(count);
      },
    });
    new Gauge({
      name: 'prox_backend_health_status',
      help: 'Whether a backend of a route is healthy (1) or not (0): active checks and passive ejection.',
      labelNames: ['route', 'backend'],
      registers,
      // Each worker keeps its own view; merged, a backend counts as healthy only if all agree.
      aggregator: 'min',
      collect() {
        this.reset();
        if (self.state === null) return;
        for (const entry of self.state.backends()) this.set({ route: entry.route, backend: entry.backend }, entry.healthy ? 1 : 0);
      },
    });
    new Gauge({
      name: 'prox_circuit_breaker_state',
      help: 'Circuit breaker of a backend of a route: 0 closed, 1 open, 2 half-open.',
      labelNames: ['route', 'backend'],
      registers,
      aggregator: 'max',
      collect() {
        this.reset();
        if (self.state === null) return;
        for (const entry of self.state.backends()) {
          if (entry.breaker !== null) this.set({ route: entry.route, backend: entry.backend }, BREAKER_VALUES[entry.breaker]);
        }
      },
    });
    for (const result of ['success', 'invalid', 'failed'] as const) this.reloads.inc({ result }, 0);
    if (withDefaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  setStateSource(source: MetricsStateSource): void {
    this.state = source;
  }

  /** A config is running: its hash becomes the info series; per-route counters start at 0. */
  configApplied(hash: string, routes: readonly string[]): void {
    this.configInfo.reset();
    this.configInfo.set({ hash }, 1);
    for (const route of routes) this.rateLimitHits.inc({ route }, 0);
  }

  configReloaded(result: ReloadResult): void {
    this.reloads.inc({ result });
  }

  backendTransition(route: string, backend: string, to: BackendStateTarget, reason: BackendStateReason): void {
    this.transitions.inc({ route, backend, to, reason });
  }

  requestCompleted(record: RequestRecord): void {
    const method = STANDARD_METHODS.has(record.method) ? record.method : 'OTHER';
    // A client that left before any status gets nginx's 499 (client closed request), not "0".
    const status = record.status === 0 ? 499 : record.status;
    const key = record.route + '\n' + method + '\n' + status;
    let counter = this.requestChildren.get(key);
    if (counter === undefined) {
      counter = this.requests.labels(record.route, method, String(status));
      this.requestChildren.set(key, counter);
    }
    counter.inc();
    let route = this.routeChildren.get(record.route);
    if (route === undefined) {
      route = {
        duration: this.duration.labels(record.route),
        bytesIn: this.requestBytes.labels(record.route),
        bytesOut: this.responseBytes.labels(record.route),
      };
      this.routeChildren.set(record.route, route);
      // Series exist from a route's first request on, so rate() works before the first body byte.
      route.bytesIn.inc(0);
      route.bytesOut.inc(0);
    }
    route.duration.observe(record.durationMs / 1000);
    if (record.bytesIn > 0) route.bytesIn.inc(record.bytesIn);
    if (record.bytesOut > 0) route.bytesOut.inc(record.bytesOut);
  }

  upstreamAttempted(route: string, backend: string, outcome: UpstreamOutcome, durationMs: number): void {
    const key = route + '\n' + backend + '\n' + outcome;
    let children = this.upstreamChildren.get(key);
    if (children === undefined) {
      children = { count: this.upstreamRequests.labels(route, backend, outcome), duration: this.upstreamDuration.labels(route, backend) };
      this.upstreamChildren.set(key, children);
    }
    children.count.inc();
    children.duration.observe(durationMs / 1000);
  }

  retried(route: string): void {
    this.retries.inc({ route });
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
