/**
 * The domain vocabulary: the validated, normalised configuration the runtime consumes. It lives
 * in the core so the domain depends on nothing outside itself; `src/config` produces it.
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
  /** The whole request head must arrive within this (slowloris): 408 and close. */
  readonly headerTimeoutMs: number;
  /** No body byte for this long while reading (slow POST): 408 and close. */
  readonly bodyTimeoutMs: number;
  /** Idle keep-alive connections close after this long. */
  readonly keepaliveTimeoutMs: number;
  /** Open connections per listener; `null` means unlimited. */
  readonly maxConnections: number | null;
  /** Open connections per client address per listener; `null` means unlimited. */
  readonly maxConnectionsPerIp: number | null;
}

/** The body prox sends for one of its own error answers, instead of the built-in short JSON. */
export interface ErrorPageSpec {
  readonly status: number;
  readonly type: 'json' | 'html' | 'text';
  /** Inline body, or the content of the configured file as read at load time. */
  readonly body: string;
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

/** A route's `rate_limit` with every default filled in. */
export interface RateLimitSpec {
  readonly by: 'ip' | 'header' | 'route';
  /** Lower-cased header whose value is the key when `by` is `header`; `null` otherwise. */
  readonly headerName: string | null;
  readonly requests: number;
  readonly periodSecs: number;
  readonly statusCode: number;
  /** Body sent as text/plain when limited; `null` sends prox's JSON error. */
  readonly message: string | null;
  readonly algorithm: 'token_bucket' | 'fixed_window' | 'sliding_window';
  /** `by: header` and the request has no such header: pass unlimited, or refuse. */
  readonly onMissingKey: 'allow' | 'deny';
  /** Token bucket size (defaults to `requests`); only token_bucket uses it. */
  readonly burst: number;
  /** `shadow` counts and reports what would be limited but refuses nothing. */
  readonly mode: 'enforce' | 'shadow';
  /** Most keys tracked at once; the least recently used is forgotten beyond it. */
  readonly maxKeys: number;
}

/** How prox verifies its https:// backends (`upstream_tls`, the route's merged over the top-level one). */
export interface UpstreamTlsSpec {
  /** Absolute path of the trusted CA bundle; `null` trusts the system CAs. */
  readonly caPath: string | null;
  /** That bundle's PEM text as read at load time, so a changed file takes effect on reload. */
  readonly ca: string | null;
  /** SNI name and the name checked in the certificate; `null` = the target's host name. */
  readonly serverName: string | null;
  /** Accept any certificate (no chain or name check). */
  readonly insecureSkipVerify: boolean;
  /** Identity of these settings (a digest of the CA text and the other fields), part of the pool key. */
  readonly id: string;
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
  /** request_headers / response_headers / request_body / response_body. */
  readonly rules: MessageRulesSpec;
  /** Verification of https:// backends; `null` = system CAs and the target's host name. */
  readonly upstreamTls: UpstreamTlsSpec | null;
  /** The route's `websocket` block with defaults filled in (present whether or not the block is). */
  readonly websocket: WebSocketSpec;
}

/** Limits of WebSocket sessions on a proxy/load_balance route (docs/websocket.md). */
export interface WebSocketSpec {
  /** A larger message (fragments together) closes the session with 1009. */
  readonly maxMessageBytes: number;
  /** No frame either way for this long closes the session with 1001. */
  readonly idleTimeoutSecs: number;
  /** A session whose route or backend a reload removed is closed with 1001 this long after the reload. */
  readonly reloadGraceSecs: number;
  /** Lower-cased allowed Origin values; `null` allows any Origin. */
  readonly allowedOrigins: readonly string[] | null;
}

/** Values a header rule may fill in per request: `{client_ip}`, ... */
export type PlaceholderName =
  | 'client_ip'
  | 'timestamp'
  | 'timestamp_iso'
  | 'request_id'
  | 'host'
  | 'uri_path'
  | 'method'
  | 'route';

export type TemplatePart =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'placeholder'; readonly name: PlaceholderName };

/** When a rule applies; every non-null field must match. */
export interface RuleCondition {
  /** Regular expression source, searched in the request path. */
  readonly pathMatches: string | null;
  /** Upper-case methods, any of which matches. */
  readonly methodIs: readonly string[] | null;
  /** Request rules: a client request header. Response rules: an upstream response header. */
  readonly hasHeader: { readonly name: string; readonly valueMatches: string | null } | null;
  /** Response rules only: the status of the answer. */
  readonly status: readonly StatusRange[] | null;
}

export interface HeaderValueRule {
  /** Lower-cased. */
  readonly name: string;
  readonly value: readonly TemplatePart[];
}

/** One block of header edits, applied as remove, then add, then append. */
export interface HeaderRuleSpec {
  readonly condition: RuleCondition | null;
  /** Lower-cased names. */
  readonly remove: readonly string[];
  /** Set: replaces every header of that name. */
  readonly add: readonly HeaderValueRule[];
  /** Adds another header line, keeping existing ones. */
  readonly append: readonly HeaderValueRule[];
}

/** One whole-body replacement. */
export interface BodyRuleSpec {
  readonly condition: RuleCondition | null;
  readonly body: string;
  readonly contentType: string;
}

/** A route's header and body rules; empty lists when none are configured. */
export interface MessageRulesSpec {
  readonly requestHeaders: readonly HeaderRuleSpec[];
  readonly responseHeaders: readonly HeaderRuleSpec[];
  /** The first whose condition matches replaces the body. */
  readonly requestBody: readonly BodyRuleSpec[];
  readonly responseBody: readonly BodyRuleSpec[];
}

export interface ProxyRoute extends RouteKey, UpstreamOptions, RoutePolicies {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  /** The top-level error pages with this route's own entries in their place, by status. */
  readonly errorPages: readonly ErrorPageSpec[];
  /** `null` when the route has no rate limit. */
  readonly rateLimit: RateLimitSpec | null;
  readonly type: 'proxy';
  /** Exactly one. */
  readonly targets: readonly BackendTarget[];
}

export interface LoadBalanceRoute extends RouteKey, UpstreamOptions, RoutePolicies {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  /** The top-level error pages with this route's own entries in their place, by status. */
  readonly errorPages: readonly ErrorPageSpec[];
  /** `null` when the route has no rate limit. */
  readonly rateLimit: RateLimitSpec | null;
  readonly type: 'load_balance';
  readonly targets: readonly BackendTarget[];
  readonly strategy: BalanceStrategy;
  /** Key source for ip_hash (always ip) and consistent_hash. */
  readonly hashKey: HashKeySpec;
}

export interface RedirectRoute extends RouteKey, RoutePolicies {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  /** The top-level error pages with this route's own entries in their place, by status. */
  readonly errorPages: readonly ErrorPageSpec[];
  /** `null` when the route has no rate limit. */
  readonly rateLimit: RateLimitSpec | null;
  readonly type: 'redirect';
  readonly target: string;
  readonly statusCode: RedirectStatus;
}

/** Files served from a directory (see docs/static-files.md). */
export interface StaticRoute extends RouteKey, RoutePolicies {
  /** Whether requests on this route are access-logged (when the access log is on). */
  readonly accessLog: boolean;
  /** The top-level error pages with this route's own entries in their place, by status. */
  readonly errorPages: readonly ErrorPageSpec[];
  /** `null` when the route has no rate limit. */
  readonly rateLimit: RateLimitSpec | null;
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

/** `engine:` as written: `auto` picks node:http (see docs/http-semantics.md). */
export type EngineSetting = 'auto' | 'uws' | 'node' | 'llhttp';

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
  /**
   * Bearer token required on a non-loopback admin listener and on the public path (the checks
   * refuse those without one); `null` = none.
   */
  readonly token: string | null;
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
  /** Top-level error pages, by status; each route carries them merged with its own. */
  readonly errorPages: readonly ErrorPageSpec[];
  /** Lower-cased name of the request id header kept from the client or generated (default `x-request-id`). */
  readonly requestIdHeader: string;
  readonly shutdownTimeoutSecs: number;
  /** Worker processes sharing the listener; `auto` = one per available CPU, resolved at start. */
  readonly workers: number | 'auto';
  /** Inbound engine asked for (`engine:`); what runs also depends on PROX_HTTP_SERVER and the Node version. */
  readonly engine: EngineSetting;
  /** CIDRs / addresses whose X-Forwarded-* headers are believed. */
  readonly trustedProxies: readonly string[];
  readonly limits: RequestLimits;
  /** `protocols.websocket_enabled`: WebSocket upgrades are proxied on proxy/load_balance routes. */
  readonly websocketEnabled: boolean;
  /** In YAML declaration order. */
  readonly routes: readonly RouteConfig[];
  /** TLS termination on `listenAddr`; `null` (or absent) serves plain HTTP there. */
  readonly tls?: TlsConfig | null;
  /** `rate_limit_store`: counters shared by every prox process; `null` (or absent) counts in each process. */
  readonly rateLimitStore?: RateLimitStoreSpec | null;
  /** L4 TCP listeners (`tcp:`), in declaration order; absent or empty when there are none. */
  readonly tcp?: readonly TcpListenerConfig[];
  /** False when the config has no `routes` (only `tcp:` listeners): no HTTP listener is opened. */
  readonly httpListener?: boolean;
}

/** What a shared rate-limit store does when it cannot answer in time. */
export type RateLimitStoreFailure = 'allow' | 'deny' | 'local';

/** `rate_limit_store`: where the counters of every `rate_limit` live when several prox processes share them. */
export interface RateLimitStoreSpec {
  readonly type: 'redis';
  /** redis:// or rediss:// URL, credentials included (redacted wherever prox shows it). */
  readonly url: string;
  readonly keyPrefix: string;
  /** A slower answer counts as the store being unavailable. */
  readonly timeoutMs: number;
  readonly onError: RateLimitStoreFailure;
}

/** A TCP backend: host (IP literal or name, no brackets) and port. */
export interface TcpBackendAddress {
  readonly host: string;
  readonly port: number;
  /** 1..1000. */
  readonly weight: number;
}

export type ProxyProtocolVersion = 'v1' | 'v2';

/** TCP connect checks of a TCP listener's backends. */
export interface TcpHealthCheckSpec {
  readonly intervalSecs: number;
  readonly timeoutSecs: number;
  readonly unhealthyThreshold: number;
  readonly healthyThreshold: number;
}

/** One `tcp:` listener, normalised (docs/tcp.md). */
export interface TcpListenerConfig {
  readonly listenAddr: ListenAddress;
  /** Backends for connections no SNI route claims; may be empty with `sniRoutes`. */
  readonly backends: readonly TcpBackendAddress[];
  readonly strategy: BalanceStrategy;
  /** `null` when connect checks are off. */
  readonly healthCheck: TcpHealthCheckSpec | null;
  readonly connectTimeoutSecs: number;
  readonly idleTimeoutSecs: number;
  readonly maxConnections: number;
  /** PROXY header sent to backends; `null` sends none. */
  readonly proxyProtocol: ProxyProtocolVersion | null;
  /** Read a PROXY header from peers in `trusted_proxies`. */
  readonly acceptProxyProtocol: boolean;
  /** TLS passthrough by SNI name (lower-cased, `*.` wildcards kept), in declaration order. */
  readonly sniRoutes: readonly { readonly name: string; readonly backends: readonly TcpBackendAddress[] }[];
}

/** One certificate chain and its key, as absolute file paths. */
export interface CertificateFiles {
  readonly certPath: string;
  readonly keyPath: string;
}

/** HTTP/2 on the TLS listener (`protocols.http2_*`). */
export interface Http2Settings {
  readonly enabled: boolean;
  readonly maxConcurrentStreams: number;
  /** 16384..16777215, range-checked by validation (other values break every session). */
  readonly maxFrameSize: number;
}

export interface HstsSettings {
  readonly maxAgeSecs: number;
  readonly includeSubdomains: boolean;
  readonly preload: boolean;
}

export interface TlsConfig {
  /** `tls.cert_path` + `key_path`: served when no SNI certificate matches; `null` = none (unknown names fail the handshake). */
  readonly defaultCertificate: CertificateFiles | null;
  /** `tls.certificates`, chosen by SNI name (exact, then wildcard). */
  readonly sniCertificates: readonly CertificateFiles[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** A plaintext listener beside the TLS one, or `null`. */
  readonly httpListenAddr: ListenAddress | null;
  /** The plaintext listener answers 308 to https (true) or serves the routes (false). */
  readonly httpRedirect: boolean;
  readonly hsts: HstsSettings | null;
  readonly http2: Http2Settings;
  /** `tls.acme` when enabled: the listener's certificate comes from an ACME CA (no certificate files then). */
  readonly acme: AcmeSettings | null;
}

/** How the CA validates control of the names (`tls.acme.challenge`, `auto` resolved by the config). */
export type AcmeChallengeType = 'tls-alpn-01' | 'http-01';

/** `tls.acme`, normalised: paths absolute, `auto` and `staging` resolved. */
export interface AcmeSettings {
  /** Lower-case DNS names; the first is the primary name. */
  readonly domains: readonly string[];
  readonly email: string;
  /** The ACME directory URL (`ca_url`, else Let's Encrypt staging or production). */
  readonly directoryUrl: string;
  /** Absolute directory for the account key and certificates. */
  readonly storagePath: string;
  readonly renewalDaysBeforeExpiry: number;
  readonly challenge: AcmeChallengeType;
  /** Absolute path of a PEM root trusted for the CA's HTTPS endpoint, or null (system roots). */
  readonly caRootPath: string | null;
  readonly eab: { readonly kid: string; readonly hmacKey: string } | null;
}

/** Edge policies of a route (docs/policies.md); each null when the route does not use it. */
export interface RoutePolicies {
  readonly ipFilter: IpFilterSpec | null;
  readonly cors: CorsSpec | null;
  readonly compression: CompressionSpec | null;
  readonly auth: AuthSpec | null;
}

/** `ip_filter`: address ranges as written (validated CIDRs or addresses). */
export interface IpFilterSpec {
  /** Empty: every address not denied may pass. */
  readonly allow: readonly string[];
  readonly deny: readonly string[];
}

/** `cors` with defaults filled in. */
export interface CorsSpec {
  /** Origins as written (`scheme://host[:port]`), or `*`. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  /** `*`: echo the preflight's Access-Control-Request-Headers. */
  readonly allowHeaders: readonly string[];
  readonly exposeHeaders: readonly string[];
  readonly allowCredentials: boolean;
  /** null: no Access-Control-Max-Age (the browser's default). */
  readonly maxAgeSecs: number | null;
}

/** `compression` with defaults filled in (only when enabled). */
export interface CompressionSpec {
  /** In the operator's order of preference; `zstd` is skipped where Node lacks it. */
  readonly algorithms: readonly ('zstd' | 'br' | 'gzip')[];
  /** Responses with a known Content-Length below this stay uncompressed. */
  readonly minBytes: number;
  /** Media types (`text/*` prefixes allowed), lower-case. */
  readonly types: readonly string[];
}

/** A route's `auth`: one scheme. */
export type AuthSpec = BasicAuthSpec | ForwardAuthSpec | JwtAuthSpec;

/** `auth.basic`, with the users file read (at every config load). */
export interface BasicAuthSpec {
  readonly scheme: 'basic';
  readonly realm: string;
  /** From the htpasswd file: bcrypt hashes only, never passwords. */
  readonly users: readonly { readonly name: string; readonly hash: string }[];
  /** Keep Authorization on the upstream request. */
  readonly forwardCredentials: boolean;
}

/** `auth.forward`. */
export interface ForwardAuthSpec {
  readonly scheme: 'forward';
  /** The check endpoint (http:// or https://). */
  readonly url: string;
  /** Lower-case names of client headers sent to the check. */
  readonly copyRequestHeaders: readonly string[];
  /** Lower-case names of check-answer headers put on the upstream request (client copies removed). */
  readonly copyResponseHeaders: readonly string[];
  readonly timeoutMs: number;
  /** Keep Authorization on the upstream request. */
  readonly forwardCredentials: boolean;
}

/** `auth.jwt`. */
export interface JwtAuthSpec {
  readonly scheme: 'jwt';
  /** Absolute http(s) URL of the identity provider's JSON Web Key Set. */
  readonly jwksUrl: string;
  readonly issuer: string;
  readonly audience: string;
  /** Accepted `alg` values: asymmetric ones only. */
  readonly algorithms: readonly string[];
  readonly leewaySecs: number;
  /** Keys older than this are refetched in the background. */
  readonly jwksCacheMs: number;
  /** Claim → lower-case header name, in config order. */
  readonly claimsToHeaders: readonly { readonly claim: string; readonly header: string }[];
  /** Cookie read for the token when there is no Authorization header; null: Authorization only. */
  readonly tokenCookie: string | null;
  readonly realm: string;
  /** Keep Authorization on the upstream request. */
  readonly forwardCredentials: boolean;
}
