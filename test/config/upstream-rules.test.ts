import { errorsOf, FILE, HEADER, load, yaml } from './support';

interface RuleCase {
  readonly rule: string;
  readonly text: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: RegExp;
  readonly hint?: RegExp;
}

const LB = ['  /lb:', '    type: load_balance']; // lines 3-4
const PROXY = ['  /api:', '    type: proxy', '    target: "http://a"']; // lines 3-5
const ROUTE = ['  /: {type: proxy, target: "http://a"}']; // line 3

/** Each case breaks exactly one rule; the finding must be the only error, at the given spot. */
const errorCases: RuleCase[] = [
  {
    rule: 'target weight at least 1',
    text: yaml(...HEADER, ...LB, '    targets:', '      - {url: "http://a", weight: 0}'),
    line: 6,
    col: 35,
    path: '/routes/~1lb/targets/0/weight',
    message: /must be >= 1 \(got 0\)/,
    hint: /1-1000/,
  },
  {
    rule: 'target weight at most 1000',
    text: yaml(...HEADER, ...LB, '    targets:', '      - url: "http://a"', '        weight: 1001'),
    line: 7,
    col: 17,
    path: '/routes/~1lb/targets/0/weight',
    message: /must be <= 1000 \(got 1001\)/,
  },
  {
    rule: 'target weight is a whole number',
    text: yaml(...HEADER, ...LB, '    targets: [{url: "http://a", weight: 1.5}]'),
    line: 5,
    col: 41,
    path: '/routes/~1lb/targets/0/weight',
    message: /expected a whole number, got the number 1\.5/,
  },
  {
    rule: 'unknown field in a target suggests the closest',
    text: yaml(...HEADER, ...LB, '    targets:', '      - url: "http://a"', '        wieght: 2'),
    line: 7,
    col: 9,
    path: '/routes/~1lb/targets/0/wieght',
    message: /unknown field "wieght"/,
    hint: /did you mean "weight"\?/,
  },
  {
    rule: 'a target mapping needs url',
    text: yaml(...HEADER, ...LB, '    targets:', '      - "http://a"', '      - {weight: 2}'),
    line: 7,
    col: 9,
    path: '/routes/~1lb/targets/1',
    message: /missing required field "url" in targets\[1\]/,
    hint: /http:\/\/ or https:\/\//,
  },
  {
    rule: 'a target mapping url must be a backend URL',
    text: yaml(...HEADER, ...LB, '    targets:', '      - {url: "a:2", weight: 2}'),
    line: 6,
    col: 15,
    path: '/routes/~1lb/targets/0/url',
    message: /"a:2" is not an absolute URL/,
  },
  {
    rule: 'a target is a URL or a mapping',
    text: yaml(...HEADER, ...LB, '    targets: [8080]'),
    line: 5,
    col: 15,
    path: '/routes/~1lb/targets/0',
    message: /expected a string or a mapping, got the number 8080/,
    hint: /^quote the value: "8080"$/,
  },
  {
    rule: 'the same backend twice in one route, trailing / or not',
    text: yaml(...HEADER, ...LB, '    targets:', '      - "http://a:1"', '      - "http://b:2"', '      - {url: "http://a:1/", weight: 2}'),
    line: 8,
    col: 9,
    path: '/routes/~1lb/targets/2',
    message: /"http:\/\/a:1\/" is listed more than once in targets/,
    hint: /give it a weight/,
  },
  {
    rule: 'strategy does not apply to proxy routes',
    text: yaml(...HEADER, ...PROXY, '    strategy: random'),
    line: 6,
    col: 5,
    path: '/routes/~1api/strategy',
    message: /"strategy" does not apply to "proxy" routes/,
    hint: /applies to load_balance routes/,
  },
  {
    rule: 'hash_key does not apply to proxy routes',
    text: yaml(...HEADER, ...PROXY, '    hash_key: {by: ip}'),
    line: 6,
    col: 5,
    path: '/routes/~1api/hash_key',
    message: /"hash_key" does not apply to "proxy" routes/,
    hint: /applies to load_balance routes/,
  },
  {
    rule: 'hash_key by header needs a name',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key:', '      by: header'),
    line: 7,
    col: 5,
    path: '/routes/~1lb/hash_key',
    message: /missing required field "name" in hash_key/,
    hint: /required for by: header and by: cookie/,
  },
  {
    rule: 'hash_key by cookie needs a name',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key: {by: cookie}'),
    line: 7,
    col: 5,
    path: '/routes/~1lb/hash_key',
    message: /missing required field "name" in hash_key/,
  },
  {
    rule: 'hash_key by ip takes no name',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key: {by: ip, name: x-user}'),
    line: 7,
    col: 24,
    path: '/routes/~1lb/hash_key/name',
    message: /"name" does not apply to hash_key by: ip/,
    hint: /by: header or by: cookie/,
  },
  {
    rule: 'hash_key name is a token',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key: {by: header, name: "x user"}'),
    line: 7,
    col: 34,
    path: '/routes/~1lb/hash_key/name',
    message: /"x user" is not a valid name/,
  },
  {
    rule: 'hash_key by is an enum',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key: {by: headers, name: x}'),
    line: 7,
    col: 20,
    path: '/routes/~1lb/hash_key/by',
    message: /"headers" is not one of ip, header, cookie/,
    hint: /did you mean "header"\?/,
  },
  {
    rule: 'health_check method is GET or HEAD',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  method: get'),
    line: 5,
    col: 11,
    path: '/health_check/method',
    message: /"get" is not one of GET, HEAD/,
    hint: /did you mean "GET"\?/,
  },
  {
    rule: 'health_check expected_status number is a status code',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  expected_status: 600'),
    line: 5,
    col: 20,
    path: '/health_check/expected_status',
    message: /must be <= 599 \(got 600\)/,
  },
  {
    rule: 'health_check expected_status string must parse',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  expected_status: 2xx'),
    line: 5,
    col: 20,
    path: '/health_check/expected_status',
    message: /"2xx" is not a status code or range/,
    hint: /"200,204,300-399"/,
  },
  {
    rule: 'health_check expected_status ranges run upwards (route override)',
    text: yaml(...HEADER, ...PROXY, '    health_check:', '      expected_status: "200, 399-300"'),
    line: 7,
    col: 24,
    path: '/routes/~1api/health_check/expected_status',
    message: /range "399-300" runs backwards/,
    hint: /300-399/,
  },
  {
    rule: 'health_check expected_status must not be empty',
    text: yaml(...HEADER, ...ROUTE, 'health_check: {expected_status: ""}'),
    line: 4,
    col: 33,
    path: '/health_check/expected_status',
    message: /no status codes given/,
  },
  {
    rule: 'health_check jitter is a fraction',
    text: yaml(...HEADER, ...ROUTE, 'health_check: {jitter: 1.5}'),
    line: 4,
    col: 24,
    path: '/health_check/jitter',
    message: /must be <= 1 \(got 1\.5\)/,
  },
  {
    rule: 'health_check interval_secs positive',
    text: yaml(...HEADER, ...ROUTE, 'health_check: {interval_secs: 0}'),
    line: 4,
    col: 31,
    path: '/health_check/interval_secs',
    message: /must be > 0 \(got 0\)/,
  },
  {
    rule: 'health_check thresholds are whole numbers',
    text: yaml(...HEADER, ...ROUTE, 'health_check: {unhealthy_threshold: 2.5}'),
    line: 4,
    col: 37,
    path: '/health_check/unhealthy_threshold',
    message: /expected a whole number/,
  },
  {
    rule: 'quoted health_check numbers get a remove-the-quotes hint',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  timeout_secs: "1"'),
    line: 5,
    col: 17,
    path: '/health_check/timeout_secs',
    message: /expected a number, got string "1"/,
    hint: /remove the quotes: timeout_secs: 1/,
  },
  {
    rule: 'unknown field in a route health_check suggests the closest',
    text: yaml(...HEADER, ...PROXY, '    health_check:', '      interval: 5'),
    line: 7,
    col: 7,
    path: '/routes/~1api/health_check/interval',
    message: /unknown field "interval"/,
    hint: /did you mean "interval_secs"\?/,
  },
  {
    rule: 'health_check path starts with /',
    text: yaml(...HEADER, ...PROXY, '    health_check: {path: health}'),
    line: 6,
    col: 26,
    path: '/routes/~1api/health_check/path',
    message: /"health" is not a valid path/,
  },
  {
    rule: 'expected_body is text',
    text: yaml(...HEADER, ...ROUTE, 'health_check: {expected_body: ""}'),
    line: 4,
    col: 31,
    path: '/health_check/expected_body',
    message: /must not be empty/,
  },
  {
    rule: 'passive max_ejection_secs at least ejection_secs',
    text: yaml(...HEADER, ...PROXY, '    passive:', '      ejection_secs: 60', '      max_ejection_secs: 30'),
    line: 8,
    col: 26,
    path: '/routes/~1api/passive/max_ejection_secs',
    message: /max_ejection_secs \(30\) is less than ejection_secs \(60\)/,
    hint: /max_ejection_secs: 60 or more/,
  },
  {
    rule: 'passive ejection_secs above the default max_ejection_secs',
    text: yaml(...HEADER, ...PROXY, '    passive: {ejection_secs: 600}'),
    line: 6,
    col: 30,
    path: '/routes/~1api/passive/ejection_secs',
    message: /max_ejection_secs \(300, the default\) is less than ejection_secs \(600\)/,
  },
  {
    rule: 'passive consecutive_failures at least 1',
    text: yaml(...HEADER, ...PROXY, '    passive: {consecutive_failures: 0}'),
    line: 6,
    col: 37,
    path: '/routes/~1api/passive/consecutive_failures',
    message: /must be >= 1 \(got 0\)/,
  },
  {
    rule: 'passive count_5xx is a boolean',
    text: yaml(...HEADER, ...PROXY, '    passive: {count_5xx: "yes"}'),
    line: 6,
    col: 26,
    path: '/routes/~1api/passive/count_5xx',
    message: /expected a boolean, got string "yes"/,
  },
  {
    rule: 'circuit_breaker timeout_secs positive',
    text: yaml(...HEADER, ...PROXY, '    circuit_breaker: {timeout_secs: 0}'),
    line: 6,
    col: 37,
    path: '/routes/~1api/circuit_breaker/timeout_secs',
    message: /must be > 0 \(got 0\)/,
  },
  {
    rule: 'circuit_breaker max_failures at least 1',
    text: yaml(...HEADER, ...PROXY, '    circuit_breaker:', '      max_failures: 0'),
    line: 7,
    col: 21,
    path: '/routes/~1api/circuit_breaker/max_failures',
    message: /must be >= 1 \(got 0\)/,
  },
  {
    rule: 'retries attempts at most 10',
    text: yaml(...HEADER, ...PROXY, '    retries: {attempts: 11}'),
    line: 6,
    col: 25,
    path: '/routes/~1api/retries/attempts',
    message: /must be <= 10 \(got 11\)/,
  },
  {
    rule: 'retries attempts not negative',
    text: yaml(...HEADER, ...PROXY, '    retries: {attempts: -1}'),
    line: 6,
    col: 25,
    path: '/routes/~1api/retries/attempts',
    message: /must be >= 0 \(got -1\)/,
  },
  {
    rule: 'retries on lists known conditions, each once in the message',
    text: yaml(...HEADER, ...PROXY, '    retries:', '      on: [connect_error, 500]'),
    line: 7,
    col: 27,
    path: '/routes/~1api/retries/on/1',
    message: /^500 is not one of connect_error, reset, 502, 503, 504$/,
  },
  {
    rule: 'retries on suggests the closest condition',
    text: yaml(...HEADER, ...PROXY, '    retries:', '      on: [connect_eror]'),
    line: 7,
    col: 12,
    path: '/routes/~1api/retries/on/0',
    message: /"connect_eror" is not one of/,
    hint: /did you mean "connect_error"\?/,
  },
  {
    rule: 'retries on is a list',
    text: yaml(...HEADER, ...PROXY, '    retries: {on: connect_error}'),
    line: 6,
    col: 19,
    path: '/routes/~1api/retries/on',
    message: /expected a list, got string "connect_error"/,
  },
  {
    rule: 'retries backoff_ms not negative',
    text: yaml(...HEADER, ...PROXY, '    retries: {backoff_ms: -5}'),
    line: 6,
    col: 27,
    path: '/routes/~1api/retries/backoff_ms',
    message: /must be >= 0 \(got -5\)/,
  },
  {
    rule: 'retry_buffer_bytes not negative',
    text: yaml(...HEADER, ...PROXY, '    retry_buffer_bytes: -1'),
    line: 6,
    col: 25,
    path: '/routes/~1api/retry_buffer_bytes',
    message: /must be >= 0 \(got -1\)/,
  },
  {
    rule: 'min_healthy_percent at most 100',
    text: yaml(...HEADER, ...PROXY, '    min_healthy_percent: 101'),
    line: 6,
    col: 26,
    path: '/routes/~1api/min_healthy_percent',
    message: /must be <= 100 \(got 101\)/,
  },
  {
    rule: 'backend_health_paths keys that differ only by a trailing / are the same backend',
    text: yaml(...HEADER, ...ROUTE, 'backend_health_paths:', '  "http://a": /up', '  "http://a/": /ready'),
    line: 6,
    col: 3,
    path: '/backend_health_paths/http:~1~1a~1',
    message: /"http:\/\/a\/" is the same backend as "http:\/\/a"/,
  },
];

describe('backend setting rules', () => {
  it.each(errorCases)('$rule', ({ text, line, col, path, message, hint }) => {
    const errors = errorsOf(text);
    expect(errors.map((e) => `${e.line}:${e.col} ${e.path} ${e.message}`)).toHaveLength(1);
    const [error] = errors;
    expect(error).toMatchObject({ severity: 'error', file: FILE, line, col, path });
    expect(error!.message).toMatch(message);
    if (hint) expect(error!.hint).toMatch(hint);
  });

  const upstreamFields = [
    ['hash_key', '{by: ip}'],
    ['health_check', '{enabled: false}'],
    ['passive', '{enabled: false}'],
    ['circuit_breaker', '{}'],
    ['retries', '{attempts: 0}'],
    ['retry_buffer_bytes', '0'],
    ['min_healthy_percent', '10'],
  ] as const;

  it.each(upstreamFields)('%s is refused on redirect routes', (field, value) => {
    const errors = errorsOf(yaml(...HEADER, '  /old:', '    type: redirect', '    target: /new', `    ${field}: ${value}`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 6, col: 5, path: `/routes/~1old/${field}`, message: `"${field}" does not apply to "redirect" routes` });
    expect(errors[0]!.hint).toMatch(field === 'hash_key' ? /applies to load_balance routes/ : /applies to proxy, load_balance routes/);
  });

  it.each(upstreamFields)('%s is refused on static routes', (field, value) => {
    const errors = errorsOf(yaml(...HEADER, '  /files:', '    type: static', '    root: ./static', `    ${field}: ${value}`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 6, col: 5, path: `/routes/~1files/${field}`, message: `"${field}" does not apply to "static" routes` });
  });
});

interface WarningCase {
  readonly rule: string;
  readonly text: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  readonly message: RegExp;
  readonly hint: RegExp;
}

const warningCases: WarningCase[] = [
  {
    rule: 'top-level probe timeout not below the interval',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  interval_secs: 2', '  timeout_secs: 2'),
    line: 6,
    col: 3,
    path: '/health_check/timeout_secs',
    message: /^health check timeout_secs \(2\) is not below interval_secs \(2\)$/,
    hint: /make timeout_secs smaller than interval_secs/,
  },
  {
    rule: 'an interval below the default timeout',
    text: yaml(...HEADER, ...ROUTE, 'health_check:', '  interval_secs: 1'),
    line: 5,
    col: 3,
    path: '/health_check/interval_secs',
    message: /timeout_secs \(2\) is not below interval_secs \(1\)/,
    hint: /smaller/,
  },
  {
    rule: 'a route interval below the top-level timeout',
    text: yaml(...HEADER, ...PROXY, '    health_check: {interval_secs: 3}', 'health_check: {timeout_secs: 5}'),
    line: 6,
    col: 20,
    path: '/routes/~1api/health_check/interval_secs',
    message: /timeout_secs \(5\) is not below interval_secs \(3\)/,
    hint: /smaller/,
  },
  {
    rule: 'a route turning on a slow top-level check that is off',
    text: yaml(...HEADER, ...PROXY, '    health_check: {enabled: true}', 'health_check: {enabled: false, timeout_secs: 12}'),
    line: 6,
    col: 5,
    path: '/routes/~1api/health_check',
    message: /timeout_secs \(12\) is not below interval_secs \(10\)/,
    hint: /smaller/,
  },
  {
    rule: 'backend_health_paths key that is no route target',
    text: yaml(...HEADER, ...ROUTE, 'backend_health_paths:', '  "http://elsewhere:9000": /up'),
    line: 5,
    col: 3,
    path: '/backend_health_paths/http:~1~1elsewhere:9000',
    message: /"http:\/\/elsewhere:9000" is not a target of any route/,
    hint: /keys must be written like a proxy target/,
  },
  {
    rule: 'backend_health_paths key close to a route target',
    text: yaml(...HEADER, '  /: {type: load_balance, targets: ["http://a:8080", "http://b:8080"]}', 'backend_health_paths:', '  "http://a:8008": /up'),
    line: 5,
    col: 3,
    path: '/backend_health_paths/http:~1~1a:8008',
    message: /is not a target of any route/,
    hint: /did you mean "http:\/\/a:8080"\?/,
  },
  {
    rule: 'hash_key with a strategy that does not use it',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    hash_key: {by: header, name: x-user}'),
    line: 6,
    col: 5,
    path: '/routes/~1lb/hash_key',
    message: /^"hash_key" has no effect with strategy round_robin$/,
    hint: /use strategy: consistent_hash, or remove hash_key/,
  },
  {
    rule: 'hash_key with ip_hash',
    text: yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: ip_hash', '    hash_key: {by: cookie, name: sid}'),
    line: 7,
    col: 5,
    path: '/routes/~1lb/hash_key',
    message: /no effect with strategy ip_hash, which always hashes the client address/,
    hint: /consistent_hash/,
  },
  {
    rule: 'weights with the default strategy',
    text: yaml(...HEADER, ...LB, '    targets:', '      - "http://a"', '      - {url: "http://b", weight: 3}'),
    line: 7,
    col: 27,
    path: '/routes/~1lb/targets/1/weight',
    message: /^weights have no effect with strategy round_robin \(the default\)$/,
    hint: /used by weighted_round_robin, random, ip_hash, consistent_hash/,
  },
  {
    rule: 'weights with least_connections',
    text: yaml(...HEADER, ...LB, '    strategy: least_connections', '    targets: [{url: "http://a", weight: 2}, {url: "http://b", weight: 3}]'),
    line: 6,
    col: 33,
    path: '/routes/~1lb/targets/0/weight',
    message: /^weights have no effect with strategy least_connections$/,
    hint: /change the strategy or remove the weights/,
  },
  {
    rule: 'weights with power_of_two',
    text: yaml(...HEADER, ...LB, '    strategy: power_of_two', '    targets: [{url: "http://a", weight: 2}]'),
    line: 6,
    col: 33,
    path: '/routes/~1lb/targets/0/weight',
    message: /strategy power_of_two/,
    hint: /weighted_round_robin/,
  },
];

describe('warnings about backend settings without effect', () => {
  it.each(warningCases)('$rule', ({ text, line, col, path, message, hint }) => {
    const result = load(text);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings.map((w) => `${w.line}:${w.col} ${w.path} ${w.message}`)).toHaveLength(1);
    const [warning] = result.warnings;
    expect(warning).toMatchObject({ severity: 'warning', file: FILE, line, col, path });
    expect(warning!.message).toMatch(message);
    expect(warning!.hint).toMatch(hint);
  });

  it.each<[string, string]>([
    ['a timeout below the interval', yaml(...HEADER, ...ROUTE, 'health_check: {interval_secs: 0.2, timeout_secs: 0.1}')],
    ['a slow probe on a disabled check', yaml(...HEADER, ...ROUTE, 'health_check: {enabled: false, interval_secs: 1, timeout_secs: 5}')],
    [
      'a route that turns off a slow top-level check',
      yaml(...HEADER, ...PROXY, '    health_check: {enabled: false, interval_secs: 1}', 'health_check: {timeout_secs: 0.5}'),
    ],
    [
      'backend_health_paths keys matching targets with or without trailing /',
      yaml(
        ...HEADER,
        '  /p: {type: proxy, target: "http://a/"}',
        '  /lb: {type: load_balance, targets: ["http://b", {url: "http://c"}]}',
        'backend_health_paths: {"http://a": /up, "http://b/": /up, "http://c": /up}',
      ),
    ],
    ['hash_key with consistent_hash', yaml(...HEADER, ...LB, '    targets: ["http://a"]', '    strategy: consistent_hash', '    hash_key: {by: header, name: X-User}')],
    ['weights all 1 with round_robin', yaml(...HEADER, ...LB, '    targets: [{url: "http://a", weight: 1}, "http://b"]')],
    ...['weighted_round_robin', 'random', 'ip_hash', 'consistent_hash'].map(
      (strategy): [string, string] => [
        `weights with ${strategy}`,
        yaml(...HEADER, ...LB, `    strategy: ${strategy}`, '    targets: [{url: "http://a", weight: 5}, "http://b"]'),
      ],
    ),
  ])('no warning for %s', (_name, text) => {
    const result = load(text);
    expect(result.ok ? [] : result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
  });

  it('adds no warning to a schema error in the same setting', () => {
    const strategy = load(yaml(...HEADER, ...LB, '    strategy: round-robin', '    targets: [{url: "http://a", weight: 2}]', '    hash_key: {by: ip}'));
    expect(strategy.ok).toBe(false);
    expect(strategy.warnings).toEqual([]);
    const interval = load(yaml(...HEADER, ...ROUTE, 'health_check: {interval_secs: 0}'));
    expect(interval.warnings).toEqual([]);
  });

  it('warns about weights once per route', () => {
    const result = load(yaml(...HEADER, ...LB, '    targets: [{url: "http://a", weight: 2}, {url: "http://b", weight: 3}]'));
    expect(result.warnings).toHaveLength(1);
  });
});
