import type { HealthCheckSpec, LoadBalanceRoute, ProxyRoute } from '../../src/config/model';
import { HEADER, load, loadValid, yaml } from './support';

type Upstream = ProxyRoute | LoadBalanceRoute;

function route(text: string, index = 0): Upstream {
  return loadValid(text).routes[index] as Upstream;
}

const DEFAULT_CHECK: HealthCheckSpec = {
  intervalSecs: 10,
  timeoutSecs: 2,
  path: '/health',
  method: 'GET',
  unhealthyThreshold: 3,
  healthyThreshold: 2,
  expectedStatus: [{ from: 200, to: 399 }],
  expectedBody: null,
  jitter: 0.1,
};

describe('targets', () => {
  it('turns a proxy target into a single target of weight 1', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a:8080/base"}')).targets).toEqual([
      { url: 'http://a:8080/base', weight: 1, healthPath: '/health' },
    ]);
  });

  it('accepts URLs and {url, weight} mappings side by side; weight defaults to 1', () => {
    const lb = route(
      yaml(
        ...HEADER,
        '  /lb:',
        '    type: load_balance',
        '    strategy: weighted_round_robin',
        '    targets:',
        '      - "http://a:1"',
        '      - {url: "http://b:2", weight: 3}',
        '      - url: "http://c:3"',
        '      - {url: "http://d:4", weight: 1000}',
      ),
    );
    expect(lb.targets).toEqual([
      { url: 'http://a:1', weight: 1, healthPath: '/health' },
      { url: 'http://b:2', weight: 3, healthPath: '/health' },
      { url: 'http://c:3', weight: 1, healthPath: '/health' },
      { url: 'http://d:4', weight: 1000, healthPath: '/health' },
    ]);
  });

  it('removes one trailing / from target URLs', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /p: {type: proxy, target: "http://a/"}',
        '  /q: {type: proxy, target: "http://a/base/"}',
        '  /lb: {type: load_balance, targets: ["http://b/", {url: "http://c/v1/"}]}',
      ),
    );
    expect(config.routes.map((r) => (r as Upstream).targets.map((t) => t.url))).toEqual([
      ['http://a'],
      ['http://a/base'],
      ['http://b', 'http://c/v1'],
    ]);
  });
});

describe('strategy and hash_key', () => {
  it.each(['round_robin', 'weighted_round_robin', 'least_connections', 'random', 'power_of_two', 'ip_hash', 'consistent_hash'])(
    'accepts strategy %s',
    (strategy) => {
      const lb = route(yaml(...HEADER, `  /lb: {type: load_balance, targets: ["http://a"], strategy: ${strategy}}`)) as LoadBalanceRoute;
      expect(lb.strategy).toBe(strategy);
    },
  );

  it('defaults hash_key to the client address', () => {
    const lb = route(yaml(...HEADER, '  /lb: {type: load_balance, targets: ["http://a"], strategy: consistent_hash}')) as LoadBalanceRoute;
    expect(lb.hashKey).toEqual({ by: 'ip', name: null });
  });

  it.each([
    ['{by: ip}', { by: 'ip', name: null }],
    ['{}', { by: 'ip', name: null }],
    ['{by: header, name: X-User-ID}', { by: 'header', name: 'x-user-id' }],
    ['{by: cookie, name: SessionID}', { by: 'cookie', name: 'SessionID' }],
  ])('hash_key %s -> %j (header names lower-cased, cookie names kept)', (written, expected) => {
    const lb = route(
      yaml(...HEADER, `  /lb: {type: load_balance, targets: ["http://a"], strategy: consistent_hash, hash_key: ${written}}`),
    ) as LoadBalanceRoute;
    expect(lb.hashKey).toEqual(expected);
  });
});

describe('health_check', () => {
  const proxy = '  /: {type: proxy, target: "http://a"}';

  it('is off without any health_check block', () => {
    expect(route(yaml(...HEADER, proxy)).healthCheck).toBeNull();
  });

  it('is on with every default when the top-level block is present but empty', () => {
    expect(route(yaml(...HEADER, proxy, 'health_check: {}')).healthCheck).toEqual(DEFAULT_CHECK);
  });

  it('keeps every explicit value, fractions included', () => {
    const check = route(
      yaml(
        ...HEADER,
        proxy,
        'health_check:',
        '  enabled: true',
        '  interval_secs: 0.2',
        '  timeout_secs: 0.1',
        '  path: /ready',
        '  method: HEAD',
        '  unhealthy_threshold: 1',
        '  healthy_threshold: 4',
        '  expected_status: "200,204,300-399"',
        '  expected_body: "ok"',
        '  jitter: 0',
      ),
    ).healthCheck;
    expect(check).toEqual({
      intervalSecs: 0.2,
      timeoutSecs: 0.1,
      path: '/ready',
      method: 'HEAD',
      unhealthyThreshold: 1,
      healthyThreshold: 4,
      expectedStatus: [
        { from: 200, to: 200 },
        { from: 204, to: 204 },
        { from: 300, to: 399 },
      ],
      expectedBody: 'ok',
      jitter: 0,
    });
  });

  it.each<[string, { from: number; to: number }[]]>([
    ['204', [{ from: 204, to: 204 }]],
    ['"204"', [{ from: 204, to: 204 }]],
    ['200-299', [{ from: 200, to: 299 }]],
    ['"200, 301-302"', [{ from: 200, to: 200 }, { from: 301, to: 302 }]],
  ])('expected_status: %s', (written, expected) => {
    expect(route(yaml(...HEADER, proxy, `health_check: {expected_status: ${written}}`)).healthCheck?.expectedStatus).toEqual(expected);
  });

  it('is off with enabled: false', () => {
    expect(route(yaml(...HEADER, proxy, 'health_check: {enabled: false, interval_secs: 3}')).healthCheck).toBeNull();
  });

  it('merges a route override field by field over the top-level block', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /a:',
        '    type: proxy',
        '    target: "http://a"',
        '    health_check: {interval_secs: 5, path: /a-ready, expected_body: null}',
        '  /b: {type: proxy, target: "http://b"}',
        'health_check:',
        '  interval_secs: 20',
        '  timeout_secs: 4',
        '  method: HEAD',
        '  expected_body: "up"',
      ),
    );
    expect((config.routes[0] as ProxyRoute).healthCheck).toEqual({
      ...DEFAULT_CHECK,
      intervalSecs: 5,
      timeoutSecs: 4,
      method: 'HEAD',
      path: '/a-ready',
      expectedBody: null,
    });
    expect((config.routes[1] as ProxyRoute).healthCheck).toEqual({
      ...DEFAULT_CHECK,
      intervalSecs: 20,
      timeoutSecs: 4,
      method: 'HEAD',
      expectedBody: 'up',
    });
  });

  it('merges a route override over the defaults when there is no top-level block', () => {
    const config = loadValid(
      yaml(...HEADER, '  /a: {type: proxy, target: "http://a", health_check: {healthy_threshold: 1}}', '  /b: {type: proxy, target: "http://b"}'),
    );
    expect((config.routes[0] as ProxyRoute).healthCheck).toEqual({ ...DEFAULT_CHECK, healthyThreshold: 1 });
    expect((config.routes[1] as ProxyRoute).healthCheck).toBeNull();
  });

  it('lets a route turn checks off, or back on', () => {
    const off = loadValid(
      yaml(...HEADER, '  /a: {type: proxy, target: "http://a", health_check: {enabled: false}}', '  /b: {type: proxy, target: "http://b"}', 'health_check: {}'),
    );
    expect((off.routes[0] as ProxyRoute).healthCheck).toBeNull();
    expect((off.routes[1] as ProxyRoute).healthCheck).toEqual(DEFAULT_CHECK);

    const on = loadValid(
      yaml(
        ...HEADER,
        '  /a: {type: proxy, target: "http://a", health_check: {enabled: true}}',
        '  /b: {type: proxy, target: "http://b", health_check: {path: /x}}',
        'health_check: {enabled: false, interval_secs: 7}',
      ),
    );
    expect((on.routes[0] as ProxyRoute).healthCheck).toEqual({ ...DEFAULT_CHECK, intervalSecs: 7 });
    // enabled: false is inherited like any other field
    expect((on.routes[1] as ProxyRoute).healthCheck).toBeNull();
  });
});

describe('backend_health_paths', () => {
  it('sets each target\'s probe path, ignoring one trailing / on either side', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /p: {type: proxy, target: "http://a:1/"}',
        '  /lb: {type: load_balance, targets: ["http://b:2", {url: "http://c:3", weight: 1}, "http://d:4"]}',
        'health_check: {path: /healthz}',
        'backend_health_paths:',
        '  "http://a:1": /a-up',
        '  "http://b:2/": /b-up',
        '  "http://c:3": /c-up',
      ),
    );
    expect((config.routes[0] as ProxyRoute).targets).toEqual([{ url: 'http://a:1', weight: 1, healthPath: '/a-up' }]);
    expect((config.routes[1] as LoadBalanceRoute).targets.map((t) => t.healthPath)).toEqual(['/b-up', '/c-up', '/healthz']);
  });

  it('applies to the same backend in every route, and the route\'s own path applies to the rest', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /p: {type: proxy, target: "http://a", health_check: {path: /p-ready}}',
        '  /lb: {type: load_balance, targets: ["http://a", "http://b"], health_check: {path: /lb-ready}}',
        'backend_health_paths: {"http://a": /a-up}',
      ),
    );
    expect((config.routes[0] as ProxyRoute).targets[0]!.healthPath).toBe('/a-up');
    expect((config.routes[1] as LoadBalanceRoute).targets.map((t) => t.healthPath)).toEqual(['/a-up', '/lb-ready']);
  });

  it('still resolves the probe path when checks are off', () => {
    const target = route(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'backend_health_paths: {"http://a": /up}')).targets[0];
    expect(target).toEqual({ url: 'http://a', weight: 1, healthPath: '/up' });
  });
});

describe('passive', () => {
  it('is on with defaults without a block', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}')).passiveHealth).toEqual({
      enabled: true,
      consecutiveFailures: 5,
      ejectionSecs: 30,
      maxEjectionSecs: 300,
      count5xx: false,
    });
  });

  it('keeps explicit values and fills the rest', () => {
    const written = route(
      yaml(...HEADER, '  /:', '    type: proxy', '    target: "http://a"', '    passive: {consecutive_failures: 2, ejection_secs: 0.5, count_5xx: true}'),
    );
    expect(written.passiveHealth).toEqual({ enabled: true, consecutiveFailures: 2, ejectionSecs: 0.5, maxEjectionSecs: 300, count5xx: true });
  });

  it('can be turned off', () => {
    const off = route(yaml(...HEADER, '  /: {type: load_balance, targets: ["http://a"], passive: {enabled: false}}'));
    expect(off.passiveHealth.enabled).toBe(false);
  });
});

describe('circuit_breaker', () => {
  it('is absent without a block', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}')).circuitBreaker).toBeNull();
  });

  it('is on with defaults when the block is present', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a", circuit_breaker: {}}')).circuitBreaker).toEqual({
      maxFailures: 5,
      timeoutSecs: 30,
      halfOpenSuccesses: 2,
    });
  });

  it('keeps explicit values, fractional timeout included', () => {
    const breaker = route(
      yaml(...HEADER, '  /: {type: proxy, target: "http://a", circuit_breaker: {enabled: true, max_failures: 1, timeout_secs: 0.25, half_open_successes: 3}}'),
    ).circuitBreaker;
    expect(breaker).toEqual({ maxFailures: 1, timeoutSecs: 0.25, halfOpenSuccesses: 3 });
  });

  it('is absent with enabled: false', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a", circuit_breaker: {enabled: false, max_failures: 1}}')).circuitBreaker).toBeNull();
  });
});

describe('retries', () => {
  it('defaults to one retry on connection errors, with a 64 KiB replay buffer', () => {
    expect(route(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}')).retries).toEqual({
      attempts: 1,
      on: ['connect_error'],
      backoffMs: 0,
      bufferBytes: 65536,
    });
  });

  it('keeps explicit values; status codes as numbers or strings; duplicates dropped', () => {
    const retries = route(
      yaml(
        ...HEADER,
        '  /:',
        '    type: load_balance',
        '    targets: ["http://a", "http://b"]',
        '    retries:',
        '      attempts: 3',
        '      on: [reset, 502, "503", connect_error, "502", 504]',
        '      backoff_ms: 25',
        '    retry_buffer_bytes: 0',
      ),
    ).retries;
    expect(retries).toEqual({ attempts: 3, on: ['reset', 502, 503, 'connect_error', 504], backoffMs: 25, bufferBytes: 0 });
  });

  it('accepts attempts: 0 and an empty on list', () => {
    const retries = route(yaml(...HEADER, '  /: {type: proxy, target: "http://a", retries: {attempts: 0, on: []}}')).retries;
    expect(retries).toEqual({ attempts: 0, on: [], backoffMs: 0, bufferBytes: 65536 });
  });
});

describe('other upstream options', () => {
  it('keeps min_healthy_percent, default 0', () => {
    const config = loadValid(
      yaml(...HEADER, '  /a: {type: proxy, target: "http://a"}', '  /b: {type: load_balance, targets: ["http://b"], min_healthy_percent: 50}'),
    );
    expect(config.routes.map((r) => (r as Upstream).minHealthyPercent)).toEqual([0, 50]);
  });

  it('accepts sub-second route timeouts', () => {
    const config = loadValid(yaml(...HEADER, '  /: {type: proxy, target: "http://a", timeout_secs: 0.25, connect_timeout_secs: 0.05}'));
    expect(config.routes[0]).toMatchObject({ timeoutSecs: 0.25, connectTimeoutSecs: 0.05 });
  });

  it('loads a route using every backend setting without warnings', () => {
    const result = load(
      yaml(
        ...HEADER,
        '  /api:',
        '    type: load_balance',
        '    targets: ["http://a", {url: "http://b", weight: 2}]',
        '    strategy: consistent_hash',
        '    hash_key: {by: cookie, name: session}',
        '    health_check: {path: /ready, expected_status: 200, expected_body: ok}',
        '    passive: {consecutive_failures: 3, ejection_secs: 10, max_ejection_secs: 60, count_5xx: true}',
        '    circuit_breaker: {max_failures: 10, timeout_secs: 5, half_open_successes: 1}',
        '    retries: {attempts: 2, on: [connect_error, reset, 503], backoff_ms: 50}',
        '    retry_buffer_bytes: 1048576',
        '    min_healthy_percent: 25',
        'health_check: {interval_secs: 5, timeout_secs: 1}',
        'backend_health_paths: {"http://b": /b-ready}',
      ),
    );
    expect(result.ok ? result.warnings : result.errors).toEqual([]);
  });
});
