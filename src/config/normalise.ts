import * as path from 'node:path';
import { DEFAULTS } from './defaults';
import { normaliseErrorPages } from './error-pages';
import type { ErrorPageFiles } from './error-pages';
import { mergedHealthCheckFields } from './health-check-merge';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import { normaliseTcpListeners } from './tcp-listeners';
import { normaliseTls } from './tls-normalise';
import { normaliseUpstreamTls, type UpstreamCaFiles } from './upstream-tls';
import type {
  AccessLogConfig,
  AdminConfig,
  BackendTarget,
  CircuitBreakerSpec,
  ErrorPageSpec,
  HashKeySpec,
  HealthCheckSpec,
  ListenAddress,
  PassiveHealthSpec,
  ProxConfig,
  RateLimitSpec,
  RateLimitStoreSpec,
  RetryCondition,
  RetrySpec,
  RouteConfig,
  RouteKey,
  StatusRange,
  UpstreamOptions,
} from './model';
import { routePolicies } from './policies-normalise';
import type { RoutePolicies } from './model';
import type { UsersFiles } from './users-files';
import type { RawAccessLog, RawAdmin, RawConfig, RawHealthCheck, RawRateLimit, RawRoute, RawTarget } from './raw-config';
import { isPeriodProblem, parsePeriod } from './rate-limit-rules';
import { isRouteKeyProblem, normalisePathPrefix, parseRouteKey } from './route-key';
import { messageRules } from './rules-normalise';
import { isStatusRangeProblem, parseStatusRanges } from './status-ranges';
import { backendUrlKey } from './url-rules';

export interface NormaliseOptions {
  /** Absolute directory of the config file: relative file paths in it (access_log.path) are resolved against it. */
  readonly configDir: string;
  /** Contents of the error page files, as read by the checks. */
  readonly errorPageFiles: ErrorPageFiles;
  /** htpasswd entries of `auth.basic` by route key; absent: none read (no basic auth). */
  readonly usersFiles?: UsersFiles;
  /** Contents of the upstream_tls CA files, as read by the checks (none when absent). */
  readonly caFiles?: UpstreamCaFiles;
}

/**
 * Builds the runtime config from YAML that has passed every check: camelCase names, defaults
 * filled in, route keys split into host and path prefix. Throws only on input that the checks
 * should already have rejected, i.e. on a bug.
 */
export function normaliseConfig(raw: RawConfig, options: NormaliseOptions): ProxConfig {
  const errorPages = normaliseErrorPages(raw.errors, [], options.configDir, options.errorPageFiles);
  return {
    // Without routes there is no HTTP listener; the address is then never bound.
    listenAddr: raw.routes === undefined ? { host: '127.0.0.1', port: 0 } : listenAddress(raw.listen_addr ?? ''),
    admin: admin(raw.admin ?? {}),
    accessLog: accessLog(raw.access_log ?? {}, options.configDir),
    errorPages,
    requestIdHeader: (raw.request_id_header ?? DEFAULTS.requestIdHeader).toLowerCase(),
    shutdownTimeoutSecs: raw.shutdown_timeout_secs ?? DEFAULTS.shutdownTimeoutSecs,
    workers: raw.workers ?? DEFAULTS.workers,
    engine: raw.engine ?? DEFAULTS.engine,
    trustedProxies: [...(raw.trusted_proxies ?? DEFAULTS.trustedProxies)],
    limits: {
      maxHeaderBytes: raw.limits?.max_header_bytes ?? DEFAULTS.maxHeaderBytes,
      maxHeaders: raw.limits?.max_headers ?? DEFAULTS.maxHeaders,
      // `null` is a meaningful value (unlimited), so only a missing field takes the default.
      maxBodyBytes: raw.limits?.max_body_bytes === undefined ? DEFAULTS.maxBodyBytes : raw.limits.max_body_bytes,
      headerTimeoutMs: (raw.limits?.header_timeout_secs ?? DEFAULTS.headerTimeoutSecs) * 1000,
      bodyTimeoutMs: (raw.limits?.body_timeout_secs ?? DEFAULTS.bodyTimeoutSecs) * 1000,
      keepaliveTimeoutMs: (raw.limits?.keepalive_timeout_secs ?? DEFAULTS.keepaliveTimeoutSecs) * 1000,
      maxConnections: raw.limits?.max_connections === undefined ? DEFAULTS.maxConnections : raw.limits.max_connections,
      maxConnectionsPerIp: raw.limits?.max_connections_per_ip === undefined ? DEFAULTS.maxConnectionsPerIp : raw.limits.max_connections_per_ip,
    },
    websocketEnabled: raw.protocols?.websocket_enabled ?? DEFAULTS.websocket.enabled,
    routes: Object.entries(raw.routes ?? {}).map(([key, route]) => normaliseRoute(key, route, raw, errorPages, options)),
    tls: normaliseTls(raw, options.configDir),
    rateLimitStore: rateLimitStore(raw.rate_limit_store),
    tcp: normaliseTcpListeners(raw),
    httpListener: raw.routes !== undefined,
  };
}

function rateLimitStore(block: RawConfig['rate_limit_store']): RateLimitStoreSpec | null {
  if (block === undefined) return null;
  const defaults = DEFAULTS.rateLimitStore;
  return {
    type: block.type,
    url: block.url,
    keyPrefix: block.key_prefix ?? defaults.keyPrefix,
    timeoutMs: block.timeout_ms ?? defaults.timeoutMs,
    onError: block.on_error ?? defaults.onError,
  };
}

function admin(block: RawAdmin): AdminConfig {
  const defaults = DEFAULTS.admin;
  const publicPath = block.public_path === undefined ? defaults.publicPath : block.public_path;
  return {
    enabled: block.enabled ?? defaults.enabled,
    listenAddr: listenAddress(block.listen_addr ?? defaults.listenAddr),
    // Without a trailing `/`, so `path === prefix || path.startsWith(prefix + '/')` is the whole match.
    publicPathPrefix: publicPath === null ? null : normalisePathPrefix(publicPath),
    token: block.token ?? defaults.token,
  };
}

function accessLog(block: RawAccessLog, configDir: string): AccessLogConfig {
  const defaults = DEFAULTS.accessLog;
  const file = block.path === undefined ? defaults.path : block.path;
  return {
    enabled: block.enabled ?? defaults.enabled,
    format: block.format ?? defaults.format,
    // Relative to the config file, not to wherever prox happened to be started from.
    path: file === null ? null : path.resolve(configDir, file),
  };
}

function listenAddress(text: string): ListenAddress {
  const parsed = parseListenAddress(text);
  if (isListenAddressProblem(parsed)) throw new Error(`unvalidated listen_addr reached normalise: ${parsed.message}`);
  return parsed;
}

function routeKey(key: string): RouteKey {
  const parsed = parseRouteKey(key);
  if (isRouteKeyProblem(parsed)) throw new Error(`unvalidated route key reached normalise: ${parsed.message}`);
  return { key, host: parsed.host, pathPrefix: parsed.pathPrefix };
}

/** Everything a proxy or load_balance route needs besides its targets. */
function upstreamOptions(route: RawRoute, raw: RawConfig, options: NormaliseOptions): UpstreamOptions {
  let pathRewrite: string | null = null;
  if (route.path_rewrite !== undefined) pathRewrite = normalisePathPrefix(route.path_rewrite);
  else if (route.strip_prefix === true) pathRewrite = '/';
  return {
    pathRewrite,
    preserveHost: route.preserve_host ?? DEFAULTS.preserveHost,
    timeoutSecs: route.timeout_secs ?? DEFAULTS.timeoutSecs,
    connectTimeoutSecs: route.connect_timeout_secs ?? DEFAULTS.connectTimeoutSecs,
    healthCheck: healthCheck(raw.health_check, route.health_check).spec,
    passiveHealth: passiveHealth(route),
    circuitBreaker: circuitBreaker(route),
    retries: retries(route),
    minHealthyPercent: route.min_healthy_percent ?? DEFAULTS.minHealthyPercent,
    rules: messageRules(route),
    upstreamTls: normaliseUpstreamTls(raw, route, options.configDir, options.caFiles ?? new Map()),
    websocket: {
      maxMessageBytes: route.websocket?.max_message_bytes ?? DEFAULTS.websocket.maxMessageBytes,
      idleTimeoutSecs: route.websocket?.idle_timeout_secs ?? DEFAULTS.websocket.idleTimeoutSecs,
      reloadGraceSecs: route.websocket?.reload_grace_secs ?? DEFAULTS.websocket.reloadGraceSecs,
      allowedOrigins: route.websocket?.allowed_origins?.map((origin) => origin.toLowerCase()) ?? null,
    },
  };
}

/**
 * The route's active health check after merging, plus the default probe path, which targets
 * use even when checks are off so the path a target would be probed on is always known.
 */
function healthCheck(global: RawHealthCheck | undefined, route: RawHealthCheck | undefined): { spec: HealthCheckSpec | null; path: string } {
  const fields = mergedHealthCheckFields(global, route) as RawHealthCheck | null;
  const defaults = DEFAULTS.healthCheck;
  const path = fields?.path ?? defaults.path;
  if (fields === null || !(fields.enabled ?? defaults.enabled)) return { spec: null, path };
  return {
    path,
    spec: {
      intervalSecs: fields.interval_secs ?? defaults.intervalSecs,
      timeoutSecs: fields.timeout_secs ?? defaults.timeoutSecs,
      path,
      method: fields.method ?? defaults.method,
      unhealthyThreshold: fields.unhealthy_threshold ?? defaults.unhealthyThreshold,
      healthyThreshold: fields.healthy_threshold ?? defaults.healthyThreshold,
      expectedStatus: statusRanges(fields.expected_status ?? defaults.expectedStatus),
      // `null` is meaningful (clears a top-level expected_body), so only a missing field defaults.
      expectedBody: fields.expected_body === undefined ? defaults.expectedBody : fields.expected_body,
      jitter: fields.jitter ?? defaults.jitter,
    },
  };
}

function statusRanges(value: number | string): StatusRange[] {
  const parsed = parseStatusRanges(value);
  if (isStatusRangeProblem(parsed)) throw new Error(`unvalidated expected_status reached normalise: ${parsed.message}`);
  return parsed;
}

function backendTargets(written: readonly RawTarget[], route: RawRoute, raw: RawConfig): BackendTarget[] {
  const defaultPath = healthCheck(raw.health_check, route.health_check).path;
  const pathFor = new Map<string, string>();
  for (const [backend, path] of Object.entries(raw.backend_health_paths ?? DEFAULTS.backendHealthPaths)) {
    pathFor.set(backendUrlKey(backend), path);
  }
  return written.map((entry) => {
    const url = backendUrlKey(typeof entry === 'string' ? entry : entry.url);
    const weight = typeof entry === 'string' ? DEFAULTS.targetWeight : (entry.weight ?? DEFAULTS.targetWeight);
    return { url, weight, healthPath: pathFor.get(url) ?? defaultPath };
  });
}

function passiveHealth(route: RawRoute): PassiveHealthSpec {
  const block = route.passive ?? {};
  const defaults = DEFAULTS.passiveHealth;
  return {
    enabled: block.enabled ?? defaults.enabled,
    consecutiveFailures: block.consecutive_failures ?? defaults.consecutiveFailures,
    ejectionSecs: block.ejection_secs ?? defaults.ejectionSecs,
    maxEjectionSecs: block.max_ejection_secs ?? defaults.maxEjectionSecs,
    count5xx: block.count_5xx ?? defaults.count5xx,
  };
}

function circuitBreaker(route: RawRoute): CircuitBreakerSpec | null {
  const block = route.circuit_breaker;
  const defaults = DEFAULTS.circuitBreaker;
  if (block === undefined || !(block.enabled ?? defaults.enabled)) return null;
  return {
    maxFailures: block.max_failures ?? defaults.maxFailures,
    timeoutSecs: block.timeout_secs ?? defaults.timeoutSecs,
    halfOpenSuccesses: block.half_open_successes ?? defaults.halfOpenSuccesses,
  };
}

function retries(route: RawRoute): RetrySpec {
  const block = route.retries ?? {};
  const defaults = DEFAULTS.retries;
  const on: RetryCondition[] = [];
  for (const written of block.on ?? defaults.on) {
    const condition = retryCondition(written);
    if (!on.includes(condition)) on.push(condition);
  }
  return {
    attempts: block.attempts ?? defaults.attempts,
    on,
    backoffMs: block.backoff_ms ?? defaults.backoffMs,
    bufferBytes: route.retry_buffer_bytes ?? DEFAULTS.retryBufferBytes,
  };
}

/** Status codes may be written as `502` or `"502"`; the model has numbers. */
function retryCondition(written: string | number): RetryCondition {
  switch (String(written)) {
    case 'connect_error':
      return 'connect_error';
    case 'reset':
      return 'reset';
    case '502':
      return 502;
    case '503':
      return 503;
    case '504':
      return 504;
    default:
      throw new Error(`unvalidated retry condition reached normalise: ${String(written)}`);
  }
}

function hashKey(key: string, route: RawRoute): HashKeySpec {
  const by = route.hash_key?.by ?? DEFAULTS.hashKeyBy;
  if (by === 'ip') return { by, name: null };
  const name = required(route.hash_key?.name, key, 'hash_key.name');
  return { by, name: by === 'header' ? name.toLowerCase() : name };
}

/** What every route type has: its key, access log flag, error pages and rate limit. */
type RouteBase = RouteKey & Pick<RouteConfig, 'accessLog' | 'errorPages' | 'rateLimit'> & RoutePolicies;

function staticRoute(base: RouteBase, key: string, route: RawRoute, configDir: string): RouteConfig {
  const defaults = DEFAULTS.staticFiles;
  const index = route.index ?? defaults.index;
  return {
    type: 'static',
    ...base,
    // Relative to the config file, not to wherever prox happened to be started from.
    root: path.resolve(configDir, required(route.root, key, 'root')),
    index: typeof index === 'string' ? [index] : [...index],
    fallback: route.fallback ?? defaults.fallback,
    allowDotfiles: route.allow_dotfiles ?? defaults.allowDotfiles,
    precompressed: route.precompressed ?? defaults.precompressed,
    cacheControl: route.cache_control ?? defaults.cacheControl,
  };
}

function normaliseRoute(
  key: string,
  route: RawRoute,
  raw: RawConfig,
  errorPages: readonly ErrorPageSpec[],
  options: NormaliseOptions,
): RouteConfig {
  const base: RouteBase = {
    ...routeKey(key),
    accessLog: route.access_log ?? DEFAULTS.routeAccessLog,
    errorPages: normaliseErrorPages(route.errors, errorPages, options.configDir, options.errorPageFiles),
    rateLimit: route.rate_limit === undefined ? null : rateLimit(route.rate_limit),
    ...routePolicies(route, options.usersFiles?.get(key) ?? []),
  };
  switch (route.type) {
    case 'proxy':
      return {
        type: 'proxy',
        ...base,
        targets: backendTargets([required(route.target, key, 'target')], route, raw),
        ...upstreamOptions(route, raw, options),
      };
    case 'load_balance':
      return {
        type: 'load_balance',
        ...base,
        targets: backendTargets(required(route.targets, key, 'targets'), route, raw),
        strategy: route.strategy ?? DEFAULTS.strategy,
        hashKey: hashKey(key, route),
        ...upstreamOptions(route, raw, options),
      };
    case 'redirect':
      return {
        type: 'redirect',
        ...base,
        target: required(route.target, key, 'target'),
        statusCode: route.status_code ?? DEFAULTS.redirectStatus,
      };
    case 'static':
      return staticRoute(base, key, route, options.configDir);
  }
}

function rateLimit(block: RawRateLimit): RateLimitSpec {
  const defaults = DEFAULTS.rateLimit;
  const period = parsePeriod(block.period);
  if (isPeriodProblem(period)) throw new Error(`unvalidated rate_limit period reached normalise: ${period.message}`);
  return {
    by: block.by,
    headerName: block.by === 'header' && block.header_name !== undefined ? block.header_name.toLowerCase() : null,
    requests: block.requests,
    periodSecs: period,
    statusCode: block.status_code ?? defaults.statusCode,
    message: block.message ?? null,
    algorithm: block.algorithm ?? defaults.algorithm,
    onMissingKey: block.on_missing_key ?? defaults.onMissingKey,
    burst: block.burst ?? block.requests,
    mode: block.mode ?? defaults.mode,
    maxKeys: block.max_keys ?? defaults.maxKeys,
  };
}

function required<T>(value: T | undefined, key: string, field: string): T {
  if (value === undefined) throw new Error(`unvalidated route "${key}" reached normalise without "${field}"`);
  return value;
}
