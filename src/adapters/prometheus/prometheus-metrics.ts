import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RateLimitStoreFailureReason, RateLimitStoreObserver } from '../../ports/rate-limit-store';

/** prom-client default metrics that are gauges despite their `_total` suffix. */
const MISNAMED_DEFAULT_GAUGES = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];
import type { BackendStateReason, BackendStateTarget, MetricsStateSource, ProxMetrics, ReloadResult } from '../../ports/metrics';
import type { RequestRecord, UpstreamOutcome } from '../../ports/request-observer';
import type { HandshakeFailureReason, TlsObserver } from '../../ports/tls-observer';
import type { WebSocketDirection } from '../../ports/websocket';
import type { TcpConnectionRecord, TcpObserver } from '../../ports/tcp-proxy';
import { CounterSeries, HistogramSeries, HotCounter, HotHistogram } from './hot-metrics';
import { AcmeMetrics } from './acme-metrics';

/** Latency buckets for a proxy: sub-millisecond local answers up to long-polling upstreams. */
export const PROXY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

const STANDARD_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);

const BREAKER_VALUES = { closed: 0, open: 1, half_open: 2 } as const;

interface RouteChildren {
  readonly duration: HistogramSeries;
  readonly bytesIn: CounterSeries;
  readonly bytesOut: CounterSeries;
}

/**
 * Prometheus metrics on prom-client. Label values come from config (route keys, target URLs)
 * and small fixed sets (method, status, outcome), never from raw traffic, so cardinality is
 * bounded by the config. The per-request metrics are `HotCounter` / `HotHistogram` series
 * cached by key, so the hot path does one Map lookup and a few additions instead of
 * prom-client's label hashing; the rest are prom-client's own.
 */
export class PrometheusMetrics implements ProxMetrics, TlsObserver, RateLimitStoreObserver, TcpObserver {
  readonly registry = new Registry();
  /** `tls.acme` orders, reported by the certificate manager. */
  readonly acme = new AcmeMetrics(this.registry);
  private readonly requests: HotCounter;
  private readonly duration: HotHistogram;
  private readonly requestBytes: HotCounter;
  private readonly responseBytes: HotCounter;
  private readonly upstreamRequests: HotCounter;
  private readonly upstreamDuration: HotHistogram;
  private readonly transitions: Counter<'route' | 'backend' | 'to' | 'reason'>;
  private readonly retries: Counter<'route'>;
  private readonly reloads: Counter<'result'>;
  private readonly configInfo: Gauge<'hash'>;
  private readonly rateLimitHits: Counter<'route'>;
  private readonly rateLimitShadowHits: Counter<'route'>;
  private readonly rateLimitStoreErrors: Counter<'reason'>;
  private readonly rateLimitStoreDuration: Histogram;
  private readonly ipFilterDecisions: Counter<'route' | 'decision'>;
  private readonly authDecisions: Counter<'route' | 'decision'>;
  private readonly requestChildren = new Map<string, CounterSeries>();
  private readonly routeChildren = new Map<string, RouteChildren>();
  private readonly upstreamChildren = new Map<string, { count: CounterSeries; duration: HistogramSeries }>();
  private readonly upstreamDurations = new Map<string, HistogramSeries>();
  private state: MetricsStateSource | null = null;
  private certificates: readonly { readonly domain: string; readonly notAfterMs: number }[] = [];
  private readonly handshakeFailures: Counter<'reason'>;
  private readonly webSocketConnections: Gauge<'route'>;
  private readonly webSocketMessages: Counter<'route' | 'direction'>;
  private readonly webSocketBytes: Counter<'route' | 'direction'>;
  private readonly webSocketCloses: Counter<'route' | 'code'>;
  private readonly tcp: TcpMetrics;

  constructor(build: { version: string; node: string }, withDefaultMetrics = true) {
    const registers = [this.registry];
    this.requests = new HotCounter('prox_requests_total', 'Requests answered, by route, method and status code.', this.registry);
    this.duration = new HotHistogram('prox_request_duration_seconds', 'Time from request arrival to the end of the response.', this.registry, PROXY_BUCKETS);
    this.requestBytes = new HotCounter('prox_request_body_bytes_total', 'Request body bytes received from clients.', this.registry);
    this.responseBytes = new HotCounter('prox_response_body_bytes_total', 'Response body bytes sent to clients.', this.registry);
    this.upstreamRequests = new HotCounter('prox_upstream_requests_total', 'Upstream attempts by route, backend and outcome.', this.registry);
    this.upstreamDuration = new HotHistogram('prox_upstream_duration_seconds', 'Time from sending an upstream attempt to its response head (or failure).', this.registry, PROXY_BUCKETS);
    this.transitions = new Counter({ name: 'prox_backend_state_transitions_total', help: 'Backend state changes by new state and cause.', labelNames: ['route', 'backend', 'to', 'reason'], registers });
    this.retries = new Counter({ name: 'prox_upstream_retries_total', help: 'Requests sent again to a backend after a failed attempt.', labelNames: ['route'], registers });
    // With workers: N every worker applies each reload: merged scrapes take the maximum, not the sum.
    this.reloads = new Counter({ name: 'prox_config_reloads_total', help: 'Config reloads by result (invalid: rejected by validation; failed: valid but could not be applied).', labelNames: ['result'], registers, aggregator: 'max' });
    this.configInfo = new Gauge({ name: 'prox_config_info', help: 'The running config, identified by the hash of its normalised form (value is always 1).', labelNames: ['hash'], registers, aggregator: 'max' });
    this.rateLimitHits = new Counter({ name: 'prox_rate_limit_hits_total', help: 'Requests refused by a rate limit.', labelNames: ['route'], registers });
    this.rateLimitShadowHits = new Counter({ name: 'prox_rate_limit_shadow_hits_total', help: 'Requests a rate limit in shadow mode would have refused (served anyway).', labelNames: ['route'], registers });
    this.rateLimitStoreErrors = new Counter({
      name: 'prox_rate_limit_store_errors_total',
      help: 'Rate-limit checks the shared store (rate_limit_store) did not answer, decided by on_error instead, by reason (timeout, unavailable, error, skipped: not tried while the store is failing).',
      labelNames: ['reason'],
      registers,
    });
    this.rateLimitStoreDuration = new Histogram({
      name: 'prox_rate_limit_store_duration_seconds',
      help: 'Time one rate-limit check took in the shared store (rate_limit_store), answered or failed.',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers,
    });
    this.ipFilterDecisions = new Counter({ name: 'prox_ip_filter_decisions_total', help: 'Requests judged by a route ip_filter, by decision (allow, deny).', labelNames: ['route', 'decision'], registers });
    this.authDecisions = new Counter({ name: 'prox_auth_decisions_total', help: 'Requests judged by a route auth, by decision (allow, deny).', labelNames: ['route', 'decision'], registers });
    new Gauge({ name: 'prox_build_info', help: 'prox version and Node.js version (value is always 1).', labelNames: ['version', 'node'], registers, aggregator: 'max' }).set(build, 1);
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect() with `this` bound to the gauge
    const self = this;
    new Gauge({
      name: 'prox_tls_certificate_expiry_seconds',
      help: 'Seconds until each served TLS certificate expires.',
      labelNames: ['domain'],
      registers,
      aggregator: 'min',
      collect() {
        this.reset();
        const now = Date.now();
        for (const cert of self.certificates) this.set({ domain: cert.domain }, Math.round((cert.notAfterMs - now) / 1000));
      },
    });
    this.webSocketConnections = new Gauge({ name: 'prox_websocket_connections', help: 'Open WebSocket sessions, by route.', labelNames: ['route'], registers });
    this.webSocketMessages = new Counter({ name: 'prox_websocket_messages_total', help: 'WebSocket messages relayed, by route and direction (client_to_upstream, upstream_to_client).', labelNames: ['route', 'direction'], registers });
    this.webSocketBytes = new Counter({ name: 'prox_websocket_message_bytes_total', help: 'WebSocket message payload bytes relayed, by route and direction.', labelNames: ['route', 'direction'], registers });
    this.webSocketCloses = new Counter({ name: 'prox_websocket_closes_total', help: 'WebSocket sessions ended, by route and close code (1000-1015, or 4xxx / 3xxx for application and registered codes).', labelNames: ['route', 'code'], registers });
    this.tcp = new TcpMetrics(registers);
    this.handshakeFailures = new Counter({ name: 'prox_tls_handshake_failures_total', help: 'TLS handshakes that failed, by reason.', labelNames: ['reason'], registers });
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
    new Counter({
      name: 'prox_access_log_dropped_total',
      help: 'Access-log lines lost: the write buffer was full (a stalled disk or pipe) or the destination failed.',
      registers,
      collect() {
        this.reset();
        this.inc(self.state?.accessLogDroppedLines() ?? 0);
      },
    });
    for (const result of ['success', 'invalid', 'failed'] as const) this.reloads.inc({ result }, 0);
    if (withDefaultMetrics) {
      collectDefaultMetrics({ register: this.registry });
      // Gauges named like counters (`promtool check metrics` rejects them); the per-type gauges
      // without the suffix (nodejs_active_handles{type}, ...) carry the same counts.
      for (const name of MISNAMED_DEFAULT_GAUGES) this.registry.removeSingleMetric(name);
    }
  }

  handshakeFailed(reason: HandshakeFailureReason): void {
    this.handshakeFailures.inc({ reason });
  }

  certificatesServed(certificates: readonly { readonly domain: string; readonly notAfterMs: number }[]): void {
    this.certificates = certificates;
  }

  setStateSource(source: MetricsStateSource): void {
    this.state = source;
  }

  /** A config is running: its hash becomes the info series; per-route counters start at 0. */
  configApplied(hash: string, routes: readonly string[]): void {
    this.configInfo.reset();
    this.configInfo.set({ hash }, 1);
    for (const route of routes) {
      this.rateLimitHits.inc({ route }, 0);
      this.rateLimitShadowHits.inc({ route }, 0);
    }
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
      counter = this.requests.seriesFor({ route: record.route, method, status: String(status) });
      this.requestChildren.set(key, counter);
    }
    counter.value++;
    let route = this.routeChildren.get(record.route);
    if (route === undefined) {
      // Series exist from a route's first request on, so rate() works before the first body byte.
      const labels = { route: record.route };
      route = {
        duration: this.duration.seriesFor(labels),
        bytesIn: this.requestBytes.seriesFor(labels),
        bytesOut: this.responseBytes.seriesFor(labels),
      };
      this.routeChildren.set(record.route, route);
    }
    route.duration.observe(record.durationMs / 1000);
    route.bytesIn.value += record.bytesIn;
    route.bytesOut.value += record.bytesOut;
    if (record.rateLimited !== null) (record.rateLimited === 'enforced' ? this.rateLimitHits : this.rateLimitShadowHits).inc({ route: record.route });
    if (record.ipFilter) this.ipFilterDecisions.inc({ route: record.route, decision: record.ipFilter });
    if (record.auth) this.authDecisions.inc({ route: record.route, decision: record.auth });
  }

  upstreamAttempted(route: string, backend: string, outcome: UpstreamOutcome, durationMs: number): void {
    const key = route + '\n' + backend + '\n' + outcome;
    let children = this.upstreamChildren.get(key);
    if (children === undefined) {
      // One duration series per route and backend, shared by its outcomes.
      const durationKey = route + '\n' + backend;
      let duration = this.upstreamDurations.get(durationKey);
      if (duration === undefined) {
        duration = this.upstreamDuration.seriesFor({ route, backend });
        this.upstreamDurations.set(durationKey, duration);
      }
      children = { count: this.upstreamRequests.seriesFor({ route, backend, outcome }), duration };
      this.upstreamChildren.set(key, children);
    }
    children.count.value++;
    children.duration.observe(durationMs / 1000);
  }

  webSocketOpened(route: string): void {
    this.webSocketConnections.inc({ route });
  }

  webSocketMessage(route: string, direction: WebSocketDirection, bytes: number): void {
    this.webSocketMessages.inc({ route, direction });
    this.webSocketBytes.inc({ route, direction }, bytes);
  }

  webSocketClosed(route: string, closeCode: number): void {
    this.webSocketConnections.dec({ route });
    // A bounded label set: the standard codes as they are, private ranges by their thousand.
    const code = closeCode >= 1000 && closeCode <= 1015 ? String(closeCode) : closeCode >= 3000 && closeCode < 5000 ? `${Math.floor(closeCode / 1000)}xxx` : 'other';
    this.webSocketCloses.inc({ route, code });
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

  rateLimitStoreCall(seconds: number): void {
    this.rateLimitStoreDuration.observe(seconds);
  }

  rateLimitStoreFailed(reason: RateLimitStoreFailureReason): void {
    this.rateLimitStoreErrors.inc({ reason });
  }

  connectionOpened(listener: string): void {
    this.tcp.open.inc({ listener });
  }

  connectionClosed(record: TcpConnectionRecord): void {
    const listener = record.listener;
    this.tcp.open.dec({ listener });
    this.tcp.connections.inc({ listener, backend: record.backend ?? '', outcome: record.outcome });
    this.tcp.bytesIn.inc({ listener }, record.bytesIn);
    this.tcp.bytesOut.inc({ listener }, record.bytesOut);
    this.tcp.duration.observe({ listener }, record.durationMs / 1000);
  }
}

/** The `tcp:` listeners' series (docs/tcp.md); labels are configured addresses and fixed outcomes. */
class TcpMetrics {
  readonly open: Gauge<'listener'>;
  readonly connections: Counter<'listener' | 'backend' | 'outcome'>;
  readonly bytesIn: Counter<'listener'>;
  readonly bytesOut: Counter<'listener'>;
  readonly duration: Histogram<'listener'>;

  constructor(registers: Registry[]) {
    this.open = new Gauge({ name: 'prox_tcp_connections', help: 'Client connections open on a tcp listener.', labelNames: ['listener'], registers });
    this.connections = new Counter({ name: 'prox_tcp_connections_total', help: 'Ended tcp client connections by listener, backend ("" when none) and outcome (forwarded, no_backend, connect_failed, rejected).', labelNames: ['listener', 'backend', 'outcome'], registers });
    this.bytesIn = new Counter({ name: 'prox_tcp_bytes_in_total', help: 'Bytes read from tcp clients.', labelNames: ['listener'], registers });
    this.bytesOut = new Counter({ name: 'prox_tcp_bytes_out_total', help: 'Bytes written to tcp clients.', labelNames: ['listener'], registers });
    this.duration = new Histogram({ name: 'prox_tcp_connection_duration_seconds', help: 'Lifetime of tcp client connections.', labelNames: ['listener'], registers, buckets: [0.001, 0.01, 0.1, 1, 10, 60, 600, 3600] });
  }
}
