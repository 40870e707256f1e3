/**
 * The validated, normalised configuration the runtime consumes.
 *
 * The YAML on disk uses the Rust Prox field names (snake_case); the loader turns it into these
 * camelCase shapes with every default filled in, so nothing downstream re-reads raw YAML or
 * re-applies defaults.
 */

export interface ListenAddress {
  /** IP literal without brackets, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  readonly port: number;
}

export interface RequestLimits {
  /** Whole request header block (names + values), bytes. */
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  /** `null` means unlimited. */
  readonly maxBodyBytes: number | null;
}

export type BalanceStrategy =
  | 'round_robin'
  | 'weighted_round_robin'
  | 'least_connections'
  | 'random'
  | 'power_of_two'
  | 'ip_hash'
  | 'consistent_hash';
export type RedirectStatus = 301 | 302 | 307 | 308;

export interface RouteKey {
  /** The key exactly as written in the YAML map. */
  readonly key: string;
  /** Lower-cased host or `*.suffix` wildcard; `null` for host-less keys. */
  readonly host: string | null;
  /** Normalised path prefix: starts with `/`, no trailing `/` except the root `/`. */
  readonly pathPrefix: string;
}

/** One backend of a route. */
export interface BackendTarget {
  /** As written, minus a trailing `/` (so it matches `backend_health_paths` keys the same way). */
  readonly url: string;
  /** Share of traffic for weighted strategies, 1..1000; 1 when written as a plain string. */
  readonly weight: number;
  /** Path probed by active health checks: `backend_health_paths[url]`, else the check's `path`. */
  readonly healthPath: string;
}

/** Inclusive range of HTTP status codes, e.g. 200-399. */
export interface StatusRange {
  readonly from: number;
  readonly to: number;
}

/** Active health checking, after merging the global block with a route's override. */
export interface HealthCheckSpec {
  readonly intervalSecs: number;
  readonly timeoutSecs: number;
  /** Default probe path; each BackendTarget carries the path actually used for it. */
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
  /** A probe passes when its status is in any range. Default 200-399. */
  readonly expectedStatus: readonly StatusRange[];
  /** Substring the probe's body must contain; `null` = not checked. */
  readonly expectedBody: string | null;
  /** Fraction 0..1 of the interval by which each wait is randomly shortened, so probes spread. */
  readonly jitter: number;
}

/** Ejection of a backend after consecutive failures on live traffic (outlier detection). */
export interface PassiveHealthSpec {
  readonly enabled: boolean;
  readonly consecutiveFailures: number;
  /** First ejection length; doubles on each repeat ejection up to `maxEjectionSecs`. */
  readonly ejectionSecs: number;
  readonly maxEjectionSecs: number;
  /** Whether 5xx responses count as failures (connect errors, resets and timeouts always do). */
  readonly count5xx: boolean;
}

export interface CircuitBreakerSpec {
  readonly maxFailures: number;
  readonly timeoutSecs: number;
  /** Successful trial requests in half-open state needed to close; also how many may run at once. */
  readonly halfOpenSuccesses: number;
}

export type RetryCondition = 'connect_error' | 'reset' | 502 | 503 | 504;

export interface RetrySpec {
  /** Retries after the first attempt (0 = never retry). */
  readonly attempts: number;
  readonly on: readonly RetryCondition[];
  /** Wait before each retry. */
  readonly backoffMs: number;
  /** A request body up to this size is kept so it can be replayed; larger ones are never retried once sent. */
  readonly bufferBytes: number;
}

export interface HashKeySpec {
  readonly by: 'ip' | 'header' | 'cookie';
  /** Header name (lower-cased) or cookie name; `null` for `ip`. */
  readonly name: string | null;
}

export interface UpstreamOptions {
  /** Replacement for the matched prefix; `null` keeps the path unchanged. */
  readonly pathRewrite: string | null;
  readonly preserveHost: boolean;
  /** Overall time to the response head, retries included; also the longest gap between body chunks. */
  readonly timeoutSecs: number;
  readonly connectTimeoutSecs: number;
  /** `null` when active health checks are off for this route. */
  readonly healthCheck: HealthCheckSpec | null;
  readonly passiveHealth: PassiveHealthSpec;
  /** `null` when the route has no circuit breaker. */
  readonly circuitBreaker: CircuitBreakerSpec | null;
  readonly retries: RetrySpec;
  /** Panic threshold 0..100: below this share of available backends, all are used. 0 = off. */
  readonly minHealthyPercent: number;
}

export interface ProxyRoute extends RouteKey, UpstreamOptions {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  readonly type: 'proxy';
  /** Exactly one. */
  readonly targets: readonly BackendTarget[];
}

export interface LoadBalanceRoute extends RouteKey, UpstreamOptions {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  readonly type: 'load_balance';
  readonly targets: readonly BackendTarget[];
  readonly strategy: BalanceStrategy;
  /** Key source for ip_hash (always ip) and consistent_hash. */
  readonly hashKey: HashKeySpec;
}

export interface RedirectRoute extends RouteKey {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  readonly type: 'redirect';
  readonly target: string;
  readonly statusCode: RedirectStatus;
}

/** Files served from a directory (see docs/static-files.md). */
export interface StaticRoute extends RouteKey {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  readonly type: 'static';
  /** Absolute directory: a relative `root` is resolved against the config file's directory. */
  readonly root: string;
  /** File names tried in order for a directory request (`/docs/`). */
  readonly index: readonly string[];
  /** Path under root served when nothing else matches (SPA fallback); `null` = 404. */
  readonly fallback: string | null;
  /** Serve files and directories whose name starts with `.`. */
  readonly allowDotfiles: boolean;
  /** Serve `file.br` / `file.gz` to clients that accept them. */
  readonly precompressed: boolean;
  /** Cache-Control value sent with file answers; `null` sends none. */
  readonly cacheControl: string | null;
}

export type RouteConfig = ProxyRoute | LoadBalanceRoute | RedirectRoute | StaticRoute;

/** The operator's listener: metrics, health, readiness and state pages. */
export interface AdminConfig {
  readonly enabled: boolean;
  /** Default 127.0.0.1:9901 (loopback only). */
  readonly listenAddr: ListenAddress;
  /**
   * Also serve the admin endpoints on the public listener under this path prefix (e.g. `/_prox`).
   * `null` (default) keeps them off the public listener entirely.
   */
  readonly publicPathPrefix: string | null;
}

export interface AccessLogConfig {
  readonly enabled: boolean;
  readonly format: 'json' | 'combined';
  /** File to append to; `null` writes to stdout. */
  readonly path: string | null;
}

export interface ProxConfig {
  readonly listenAddr: ListenAddress;
  readonly admin: AdminConfig;
  readonly accessLog: AccessLogConfig;
  /** Lower-cased name of the request id header kept from the client or generated (default `x-request-id`). */
  readonly requestIdHeader: string;
  readonly shutdownTimeoutSecs: number;
  /** CIDRs / addresses whose X-Forwarded-* headers are believed. */
  readonly trustedProxies: readonly string[];
  readonly limits: RequestLimits;
  /** In YAML declaration order. */
  readonly routes: readonly RouteConfig[];
}

export type Severity = 'error' | 'warning';

/** One finding about a config file, located at its YAML source. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  /** 1-based; 0 when the finding has no position (e.g. unreadable file). */
  readonly line: number;
  readonly col: number;
  /** JSON-pointer-like path of the field, e.g. `/routes/~1api/target`; '' for the document. */
  readonly path: string;
  readonly message: string;
  readonly hint: string | null;
}

export type LoadResult =
  | { readonly ok: true; readonly config: ProxConfig; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[]; readonly unreadable: boolean };
