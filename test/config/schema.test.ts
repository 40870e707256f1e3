import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS } from '../../src/config/defaults';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { CONFIG_SCHEMA_PATH, configValidator, precompiledValidatorSource, routeTypesAccepting, schemaAt, type SchemaNode } from '../../src/config/schema';

const schema = JSON.parse(readFileSync(path.join(__dirname, '..', '..', 'config.schema.json'), 'utf8')) as SchemaNode;

/** Every place a config field is declared: named properties, map values, list items. */
function fieldsWithoutDescription(node: SchemaNode, where: string, out: string[]): string[] {
  if (node.$ref) return out; // described at the definition
  if (!node.description) out.push(where);
  for (const [name, child] of Object.entries(node.properties ?? {})) {
    if (typeof child === 'object') fieldsWithoutDescription(child, `${where}.${name}`, out);
  }
  for (const [pattern, child] of Object.entries(node.patternProperties ?? {})) {
    fieldsWithoutDescription(child, `${where}[${pattern}]`, out);
  }
  if (typeof node.additionalProperties === 'object') fieldsWithoutDescription(node.additionalProperties, `${where}.*`, out);
  if (node.items) fieldsWithoutDescription(node.items, `${where}[]`, out);
  return out;
}

describe('config.schema.json', () => {
  it('is found at the package root from the compiled location', () => {
    expect(CONFIG_SCHEMA_PATH).toBe(path.resolve(__dirname, '..', '..', 'config.schema.json'));
  });

  it('describes every field', () => {
    const missing = fieldsWithoutDescription(schema, '(root)', []);
    for (const [name, definition] of Object.entries(schema.definitions ?? {})) {
      fieldsWithoutDescription(definition, `#${name}`, missing);
    }
    expect(missing).toEqual([]);
  });

  it('announces the same defaults the normaliser applies', () => {
    expect(schemaAt(['shutdown_timeout_secs'])?.default).toBe(DEFAULTS.shutdownTimeoutSecs);
    expect(schemaAt(['workers'])?.default).toBe(DEFAULTS.workers);
    expect(schemaAt(['engine'])?.default).toBe(DEFAULTS.engine);
    expect(schemaAt(['trusted_proxies'])?.default).toEqual(DEFAULTS.trustedProxies);
    expect(schemaAt(['limits', 'max_header_bytes'])?.default).toBe(DEFAULTS.maxHeaderBytes);
    expect(schemaAt(['limits', 'max_headers'])?.default).toBe(DEFAULTS.maxHeaders);
    expect(schemaAt(['limits', 'max_body_bytes'])?.default).toBe(DEFAULTS.maxBodyBytes);
    const route = ['routes', '/any'];
    expect(schemaAt([...route, 'strategy'])?.default).toBe(DEFAULTS.strategy);
    expect(schemaAt([...route, 'status_code'])?.default).toBe(DEFAULTS.redirectStatus);
    expect(schemaAt([...route, 'preserve_host'])?.default).toBe(DEFAULTS.preserveHost);
    expect(schemaAt([...route, 'timeout_secs'])?.default).toBe(DEFAULTS.timeoutSecs);
    expect(schemaAt([...route, 'connect_timeout_secs'])?.default).toBe(DEFAULTS.connectTimeoutSecs);
    expect(schemaAt([...route, 'targets', '0', 'weight'])?.default).toBe(DEFAULTS.targetWeight);
    expect(schemaAt([...route, 'hash_key', 'by'])?.default).toBe(DEFAULTS.hashKeyBy);
    expect(schemaAt([...route, 'retry_buffer_bytes'])?.default).toBe(DEFAULTS.retryBufferBytes);
    expect(schemaAt([...route, 'min_healthy_percent'])?.default).toBe(DEFAULTS.minHealthyPercent);
    expect(schemaAt(['backend_health_paths'])?.default).toEqual(DEFAULTS.backendHealthPaths);
    expect(schemaAt([...route, 'access_log'])?.default).toBe(DEFAULTS.routeAccessLog);
    expect(schemaAt([...route, 'upstream_tls', 'insecure_skip_verify'])?.default).toBe(DEFAULTS.upstreamInsecureSkipVerify);
    expect(schemaAt(['upstream_tls', 'insecure_skip_verify'])?.default).toBe(DEFAULTS.upstreamInsecureSkipVerify);
    expect(schemaAt(['request_id_header'])?.default).toBe(DEFAULTS.requestIdHeader);
  });

  const health = DEFAULTS.healthCheck;
  const blocks: [string[], string, unknown][] = [
    // The top-level block and a route's override share one definition.
    ...[['health_check'], ['routes', '/any', 'health_check']].flatMap((at) => [
      [at, 'enabled', health.enabled],
      [at, 'interval_secs', health.intervalSecs],
      [at, 'timeout_secs', health.timeoutSecs],
      [at, 'path', health.path],
      [at, 'method', health.method],
      [at, 'unhealthy_threshold', health.unhealthyThreshold],
      [at, 'healthy_threshold', health.healthyThreshold],
      [at, 'expected_status', health.expectedStatus],
      [at, 'expected_body', health.expectedBody],
      [at, 'jitter', health.jitter],
    ] as [string[], string, unknown][]),
    [['routes', '/any', 'passive'], 'enabled', DEFAULTS.passiveHealth.enabled],
    [['routes', '/any', 'passive'], 'consecutive_failures', DEFAULTS.passiveHealth.consecutiveFailures],
    [['routes', '/any', 'passive'], 'ejection_secs', DEFAULTS.passiveHealth.ejectionSecs],
    [['routes', '/any', 'passive'], 'max_ejection_secs', DEFAULTS.passiveHealth.maxEjectionSecs],
    [['routes', '/any', 'passive'], 'count_5xx', DEFAULTS.passiveHealth.count5xx],
    [['routes', '/any', 'circuit_breaker'], 'enabled', DEFAULTS.circuitBreaker.enabled],
    [['routes', '/any', 'circuit_breaker'], 'max_failures', DEFAULTS.circuitBreaker.maxFailures],
    [['routes', '/any', 'circuit_breaker'], 'timeout_secs', DEFAULTS.circuitBreaker.timeoutSecs],
    [['routes', '/any', 'circuit_breaker'], 'half_open_successes', DEFAULTS.circuitBreaker.halfOpenSuccesses],
    [['routes', '/any', 'retries'], 'attempts', DEFAULTS.retries.attempts],
    [['routes', '/any', 'retries'], 'on', DEFAULTS.retries.on],
    [['routes', '/any', 'retries'], 'backoff_ms', DEFAULTS.retries.backoffMs],
    [['routes', '/any', 'rate_limit'], 'status_code', DEFAULTS.rateLimit.statusCode],
    [['routes', '/any', 'rate_limit'], 'algorithm', DEFAULTS.rateLimit.algorithm],
    [['routes', '/any', 'rate_limit'], 'on_missing_key', DEFAULTS.rateLimit.onMissingKey],
    [['routes', '/any', 'rate_limit'], 'mode', DEFAULTS.rateLimit.mode],
    [['routes', '/any', 'rate_limit'], 'max_keys', DEFAULTS.rateLimit.maxKeys],
    // No default message: without one the answer is prox's JSON error.
    [['routes', '/any', 'rate_limit'], 'message', undefined],
    [['admin'], 'enabled', DEFAULTS.admin.enabled],
    [['admin'], 'listen_addr', DEFAULTS.admin.listenAddr],
    [['admin'], 'public_path', DEFAULTS.admin.publicPath],
    [['admin'], 'token', DEFAULTS.admin.token],
    [['access_log'], 'enabled', DEFAULTS.accessLog.enabled],
    [['access_log'], 'format', DEFAULTS.accessLog.format],
    [['access_log'], 'path', DEFAULTS.accessLog.path],
  ];

  it.each(blocks)('announces the default of %j . %s', (at, field, expected) => {
    expect(schemaAt([...at, field])?.default).toEqual(expected);
  });

  it('compiles the validator once and reuses it', () => {
    expect(configValidator()).toBe(configValidator());
  });

  it('precompiles to a module that finds the same errors as the validator compiled at run time', () => {
    // What `npm run build` writes next to dist/config/schema.js, loaded as CommonJS.
    const loaded = { exports: {} as unknown };
    new Function('module', 'exports', 'require', precompiledValidatorSource())(loaded, loaded.exports, createRequire(__filename));
    const precompiled = (loaded.exports as { validate: ValidateFunction }).validate;
    const runtime = configValidator();
    const samples: unknown[] = [
      { listen_addr: '127.0.0.1:1', routes: { '/': { type: 'proxy', target: 'http://a' } } },
      { listen_addr: 1, routes: { '/': { type: 'proxxy', target: 'http://a', timeout_secs: 'x' } }, unknown_key: true },
      { routes: { '/': { type: 'load_balance', targets: [{ url: 'http://a', weight: -1 }], strategy: 'nope' } }, limits: { max_headers: 0 } },
      { tls: { cert_path: 'c' }, admin: { token: 'short' }, workers: 'many' },
      'not an object',
    ];
    const errorsOf = (validate: ValidateFunction, data: unknown) => {
      const valid = validate(data);
      return { valid, errors: (validate.errors ?? []).map(({ instancePath, schemaPath, keyword, params, message }) => ({ instancePath, schemaPath, keyword, params, message })) };
    };
    for (const sample of samples) expect(errorsOf(precompiled, sample)).toEqual(errorsOf(runtime, sample));
    expect(errorsOf(precompiled, samples[0]).valid).toBe(true);
    expect(errorsOf(precompiled, samples[1]).errors.length).toBeGreaterThan(2);
  });

  it('knows which route types accept a field', () => {
    expect(routeTypesAccepting('status_code')).toEqual(['redirect']);
    expect(routeTypesAccepting('path_rewrite')).toEqual(['proxy', 'load_balance']);
    expect(routeTypesAccepting('rate_limit')).toEqual(['proxy', 'load_balance', 'redirect', 'static']);
    expect(routeTypesAccepting('strategy')).toEqual(['load_balance']);
    expect(routeTypesAccepting('hash_key')).toEqual(['load_balance']);
    expect(routeTypesAccepting('access_log')).toEqual(['proxy', 'load_balance', 'redirect', 'static']);
    for (const field of ['health_check', 'passive', 'circuit_breaker', 'retries', 'retry_buffer_bytes', 'min_healthy_percent']) {
      expect(routeTypesAccepting(field)).toEqual(['proxy', 'load_balance']);
    }
  });

  it('accepts x- prefixed top-level keys as homes for YAML anchors, but nothing else unknown', () => {
    const validate = configValidator();
    const base = { listen_addr: '127.0.0.1:1', routes: { '/': { type: 'proxy', target: 'http://a' } } };
    expect(validate({ ...base, 'x-defaults': { anything: true } })).toBe(true);
    expect(validate({ ...base, defaults: {} })).toBe(false);
  });

  it('accepts Prox protocol settings loosely', () => {
    const validate = configValidator();
    const base = { listen_addr: '127.0.0.1:1', routes: { '/': { type: 'proxy', target: 'http://a' } } };
    const protocols = {
      http2_enabled: true,
      websocket_enabled: true,
      http2_max_frame_size: 16384,
      some_future_flag: 'on',
      http3_config: { max_data: 10000000, congestion_control: 'cubic', enable_0rtt: true, future_knob: 3 },
    };
    expect(validate({ ...base, protocols })).toBe(true);
    expect(validate({ ...base, protocols: { http2_enabled: 'yes please' } })).toBe(false);
    expect(validate({ ...base, protocols: { nested: { deep: 1 } } })).toBe(false);
  });

  it('accepts targets as URLs or {url, weight}, and nothing else', () => {
    const validate = configValidator();
    const lb = (targets: unknown) => ({ listen_addr: '127.0.0.1:1', routes: { '/': { type: 'load_balance', targets } } });
    expect(validate(lb(['http://a', { url: 'http://b' }, { url: 'http://c', weight: 7 }]))).toBe(true);
    expect(validate(lb([{ url: 'http://a', weight: 0 }]))).toBe(false);
    expect(validate(lb([{ url: 'http://a', extra: 1 }]))).toBe(false);
    expect(validate(lb([{ weight: 2 }]))).toBe(false);
    expect(validate(lb([['http://a']]))).toBe(false);
    expect(validate(lb(['']))).toBe(false);
  });
});
