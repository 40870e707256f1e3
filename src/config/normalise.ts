import { DEFAULTS } from './defaults';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import type { ListenAddress, ProxConfig, RouteConfig, RouteKey, UpstreamOptions } from './model';
import type { RawConfig, RawRoute } from './raw-config';
import { isRouteKeyProblem, normalisePathPrefix, parseRouteKey } from './route-key';

/**
 * Builds the runtime config from YAML that has passed every check: camelCase names, defaults
 * filled in, route keys split into host and path prefix. Throws only on input that the checks
 * should already have rejected, i.e. on a bug.
 */
export function normaliseConfig(raw: RawConfig): ProxConfig {
  return {
    listenAddr: listenAddress(raw.listen_addr),
    shutdownTimeoutSecs: raw.shutdown_timeout_secs ?? DEFAULTS.shutdownTimeoutSecs,
    trustedProxies: [...(raw.trusted_proxies ?? DEFAULTS.trustedProxies)],
    limits: {
      maxHeaderBytes: raw.limits?.max_header_bytes ?? DEFAULTS.maxHeaderBytes,
      maxHeaders: raw.limits?.max_headers ?? DEFAULTS.maxHeaders,
      // `null` is a meaningful value (unlimited), so only a missing field takes the default.
      maxBodyBytes: raw.limits?.max_body_bytes === undefined ? DEFAULTS.maxBodyBytes : raw.limits.max_body_bytes,
    },
    routes: Object.entries(raw.routes).map(([key, route]) => normaliseRoute(key, route)),
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

function upstreamOptions(route: RawRoute): UpstreamOptions {
  let pathRewrite: string | null = null;
  if (route.path_rewrite !== undefined) pathRewrite = normalisePathPrefix(route.path_rewrite);
  else if (route.strip_prefix === true) pathRewrite = '/';
  return {
    pathRewrite,
    preserveHost: route.preserve_host ?? DEFAULTS.preserveHost,
    timeoutSecs: route.timeout_secs ?? DEFAULTS.timeoutSecs,
    connectTimeoutSecs: route.connect_timeout_secs ?? DEFAULTS.connectTimeoutSecs,
  };
}

function normaliseRoute(key: string, route: RawRoute): RouteConfig {
  const base = routeKey(key);
  switch (route.type) {
    case 'proxy':
      return { type: 'proxy', ...base, target: required(route.target, key, 'target'), ...upstreamOptions(route) };
    case 'load_balance':
      return {
        type: 'load_balance',
        ...base,
        targets: [...required(route.targets, key, 'targets')],
        strategy: route.strategy ?? DEFAULTS.strategy,
        ...upstreamOptions(route),
      };
    case 'redirect':
      return {
        type: 'redirect',
        ...base,
        target: required(route.target, key, 'target'),
        statusCode: route.status_code ?? DEFAULTS.redirectStatus,
      };
    case 'static':
      return { type: 'static', ...base, root: required(route.root, key, 'root') };
  }
}

function required<T>(value: T | undefined, key: string, field: string): T {
  if (value === undefined) throw new Error(`unvalidated route "${key}" reached normalise without "${field}"`);
  return value;
}
