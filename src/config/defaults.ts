import type { RetryCondition } from './model';

/**
 * Values used when a field is omitted. The schema (src/config/schema-source.ts) repeats them as
 * `default` annotations for editors and docs; a test keeps the two in step.
 *
 * Values are in their YAML form where that differs from the model (`expectedStatus` is the
 * string the normaliser parses), so they can be compared with the schema directly.
 */
export const DEFAULTS = {
  /** `tcp:` listeners (docs/tcp.md). */
  tcp: {
    strategy: 'round_robin',
    connectTimeoutSecs: 5,
    idleTimeoutSecs: 3600,
    maxConnections: 10000,
    proxyProtocol: 'none',
    acceptProxyProtocol: false,
    healthCheck: { intervalSecs: 10, timeoutSecs: 2, unhealthyThreshold: 3, healthyThreshold: 2 },
  },
  shutdownTimeoutSecs: 30,
  workers: 1 as number | 'auto',
  engine: 'auto' as 'auto' | 'uws' | 'node' | 'llhttp',
  trustedProxies: [] as readonly string[],
  maxHeaderBytes: 16384,
  maxHeaders: 100,
  maxBodyBytes: null as number | null,
  headerTimeoutSecs: 10,
  bodyTimeoutSecs: 30,
  keepaliveTimeoutSecs: 10,
  maxConnections: 20000 as number | null,
  maxConnectionsPerIp: 1000 as number | null,
  strategy: 'round_robin',
  targetWeight: 1,
  hashKeyBy: 'ip',
  redirectStatus: 307,
  preserveHost: false,
  timeoutSecs: 60,
  connectTimeoutSecs: 5,
  /** Applies when a `health_check` block (top-level or route) is present; no block, no probes. */
  healthCheck: {
    enabled: true,
    intervalSecs: 10,
    timeoutSecs: 2,
    path: '/health',
    method: 'GET',
    unhealthyThreshold: 3,
    healthyThreshold: 2,
    expectedStatus: '200-399',
    expectedBody: null as string | null,
    jitter: 0.1,
  },
  backendHealthPaths: {} as Readonly<Record<string, string>>,
  /** On for every proxy and load_balance route, block or not. */
  passiveHealth: {
    enabled: true,
    consecutiveFailures: 5,
    ejectionSecs: 30,
    maxEjectionSecs: 300,
    count5xx: false,
  },
  /** Applies when a route has a `circuit_breaker` block; no block, no breaker. */
  circuitBreaker: {
    enabled: true,
    maxFailures: 5,
    timeoutSecs: 30,
    halfOpenSuccesses: 2,
  },
  retries: {
    attempts: 1,
    on: ['connect_error'] as readonly RetryCondition[],
    backoffMs: 0,
  },
  retryBufferBytes: 65536,
  minHealthyPercent: 0,
  /** The admin listener; `listenAddr` in its YAML form. */
  admin: {
    enabled: true,
    listenAddr: '127.0.0.1:9901',
    /** `null`: the admin endpoints are not served on the public listener. */
    publicPath: null as string | null,
    /** `null`: no bearer token (allowed only with a loopback listener and no public_path). */
    token: null as string | null,
  },
  accessLog: {
    enabled: true,
    format: 'json',
    /** `null`: stdout. */
    path: null as string | null,
  },
  requestIdHeader: 'x-request-id',
  /** `tls` fields left out. */
  tls: {
    certificates: [] as readonly { cert_path: string; key_path: string }[],
    minVersion: 'TLSv1.2',
    httpRedirect: true,
    hstsIncludeSubdomains: false,
    hstsPreload: false,
  },
  /** `tls.acme` fields left out. */
  acme: {
    challenge: 'auto' as 'auto' | 'tls-alpn-01' | 'http-01',
    storagePath: './acme_storage',
    renewalDaysBeforeExpiry: 30,
  },
  /** `upstream_tls.insecure_skip_verify` left out: backends' certificates are verified. */
  upstreamInsecureSkipVerify: false,
  /** `protocols` fields left out (they apply to the TLS listener). */
  http2: {
    enabled: true,
    maxConcurrentStreams: 100,
    maxFrameSize: 16384,
  },
  /** Fields of a `rate_limit` block left out; `burst` defaults to the block's `requests`. */
  rateLimit: {
    statusCode: 429,
    algorithm: 'token_bucket',
    onMissingKey: 'allow',
    mode: 'enforce',
    maxKeys: 100000,
  },
  /** Fields of the `rate_limit_store` block left out. */
  rateLimitStore: {
    keyPrefix: 'prox:rl:',
    timeoutMs: 50,
    onError: 'allow',
  },
  /** `protocols.websocket_enabled` and a route's `websocket` block. */
  websocket: {
    enabled: true,
    maxMessageBytes: 16 * 1024 * 1024,
    idleTimeoutSecs: 300,
    reloadGraceSecs: 5,
  },
  /** A route's `access_log` when it does not set one. */
  routeAccessLog: true,
  /** Static routes. */
  staticFiles: {
    index: ['index.html'] as readonly string[],
    fallback: null as string | null,
    allowDotfiles: false,
    precompressed: false,
    cacheControl: null as string | null,
  },
} as const;
