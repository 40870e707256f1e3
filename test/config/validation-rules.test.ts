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

/** Each case breaks exactly one rule; the finding must be the only error, at the given spot. */
const cases: RuleCase[] = [
  {
    rule: 'listen_addr is required with routes',
    text: yaml('routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 1,
    path: '',
    message: /routes need "listen_addr:"/,
  },
  {
    rule: 'routes (or tcp listeners) are required',
    text: yaml('listen_addr: "127.0.0.1:3000"'),
    line: 1,
    col: 1,
    path: '',
    message: /neither routes nor tcp listeners/,
  },
  {
    rule: 'routes must not be empty',
    text: yaml('listen_addr: "127.0.0.1:3000"', 'routes: {}'),
    line: 2,
    col: 1,
    path: '/routes',
    message: /at least one route/,
  },
  {
    rule: 'listen_addr needs a port',
    text: yaml('listen_addr: "127.0.0.1"', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /has no port/,
    hint: /IP:PORT/,
  },
  {
    rule: 'listen_addr port in range',
    text: yaml('listen_addr: "127.0.0.1:70000"', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /port "70000" is not a number from 0 to 65535/,
  },
  {
    rule: 'listen_addr host must be an IP',
    text: yaml('listen_addr: localhost:3000', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /"localhost" is a host name/,
    hint: /127\.0\.0\.1:3000/,
  },
  {
    rule: 'listen_addr IPv4 must be real',
    text: yaml('listen_addr: "300.1.1.1:80"', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /not an IPv4 address/,
  },
  {
    rule: 'listen_addr IPv6 needs brackets',
    text: yaml('listen_addr: "::1:3000"', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /must be in brackets/,
    hint: /\[::1\]:3000/,
  },
  {
    rule: 'listen_addr must be a string',
    text: yaml('listen_addr: 3000', 'routes:', '  /: {type: proxy, target: "http://a"}'),
    line: 1,
    col: 14,
    path: '/listen_addr',
    message: /expected a string, got the number 3000/,
    hint: /quote the value/,
  },
  {
    rule: 'unknown top-level field suggests the closest',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'trusted_proxy: []'),
    line: 4,
    col: 1,
    path: '/trusted_proxy',
    message: /unknown field "trusted_proxy"/,
    hint: /did you mean "trusted_proxies"\?/,
  },
  {
    rule: 'unknown route field points at the key',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    tagret: "http://b"'),
    line: 6,
    col: 5,
    path: '/routes/~1api/tagret',
    message: /unknown field "tagret"/,
    hint: /did you mean "target"\?/,
  },
  {
    rule: 'route type must be known',
    text: yaml(...HEADER, '  /api:', '    type: proxi', '    target: "http://a"'),
    line: 4,
    col: 11,
    path: '/routes/~1api/type',
    message: /"proxi" is not one of proxy, load_balance, redirect, static/,
    hint: /did you mean "proxy"\?/,
  },
  {
    rule: 'route type is required',
    text: yaml(...HEADER, '  /api:', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/~1api',
    message: /missing required field "type"/,
  },
  {
    rule: 'proxy route needs target',
    text: yaml(...HEADER, '  /api:', '    type: proxy'),
    line: 3,
    col: 3,
    path: '/routes/~1api',
    message: /"proxy" routes need "target"/,
  },
  {
    rule: 'proxy target must be a URL',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: not_a_url'),
    line: 5,
    col: 13,
    path: '/routes/~1api/target',
    message: /"not_a_url" is not an absolute URL/,
    hint: /Ensure all URLs start with http:\/\/ or https:\/\//,
  },
  {
    rule: 'proxy target must be http(s)',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "ftp://files.local"'),
    line: 5,
    col: 13,
    path: '/routes/~1api/target',
    message: /only http and https/,
  },
  {
    rule: 'load_balance needs targets',
    text: yaml(...HEADER, '  /lb:', '    type: load_balance'),
    line: 3,
    col: 3,
    path: '/routes/~1lb',
    message: /"load_balance" routes need "targets"/,
  },
  {
    rule: 'load_balance targets not empty',
    text: yaml(...HEADER, '  /lb:', '    type: load_balance', '    targets: []'),
    line: 5,
    col: 14,
    path: '/routes/~1lb/targets',
    message: /at least 1 item/,
  },
  {
    rule: 'each load_balance target must be a URL',
    text: yaml(...HEADER, '  /lb:', '    type: load_balance', '    targets:', '      - "http://a:1"', '      - "a:2"'),
    line: 7,
    col: 9,
    path: '/routes/~1lb/targets/1',
    message: /"a:2" is not an absolute URL/,
  },
  {
    rule: 'load_balance strategy is an enum',
    text: yaml(...HEADER, '  /lb:', '    type: load_balance', '    targets: ["http://a"]', '    strategy: round-robin'),
    line: 6,
    col: 15,
    path: '/routes/~1lb/strategy',
    message: /not one of round_robin, weighted_round_robin, least_connections, random, power_of_two, ip_hash, consistent_hash$/,
    hint: /did you mean "round_robin"\?/,
  },
  {
    rule: 'redirect target: absolute URL or path',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: "new-place"'),
    line: 5,
    col: 13,
    path: '/routes/~1old/target',
    message: /"new-place" is not an absolute URL/,
    hint: /path starting with \//,
  },
  {
    rule: 'redirect target must not be protocol-relative',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: "//elsewhere.example"'),
    line: 5,
    col: 13,
    path: '/routes/~1old/target',
    message: /protocol-relative/,
  },
  {
    rule: 'redirect target must not contain control characters',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: "/a\\r\\nSet-Cookie: x=1"'),
    line: 5,
    col: 13,
    path: '/routes/~1old/target',
    message: /whitespace or control characters/,
  },
  {
    rule: 'redirect status must be a redirect code',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: /new', '    status_code: 303'),
    line: 6,
    col: 18,
    path: '/routes/~1old/status_code',
    message: /303 is not one of 301, 302, 307, 308/,
  },
  {
    rule: 'quoted numbers get a remove-the-quotes hint, not an extra enum error',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: /new', '    status_code: "302"'),
    line: 6,
    col: 18,
    path: '/routes/~1old/status_code',
    message: /expected a whole number, got string "302"/,
    hint: /remove the quotes: status_code: 302/,
  },
  {
    rule: 'static route needs root',
    text: yaml(...HEADER, '  /files:', '    type: static'),
    line: 3,
    col: 3,
    path: '/routes/~1files',
    message: /"static" routes need "root"/,
  },
  {
    rule: 'fields of another route type are refused',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    status_code: 301'),
    line: 6,
    col: 5,
    path: '/routes/~1api/status_code',
    message: /"status_code" does not apply to "proxy" routes/,
    hint: /applies to redirect routes/,
  },
  {
    rule: 'upstream options are refused on redirects',
    text: yaml(...HEADER, '  /old:', '    type: redirect', '    target: /new', '    timeout_secs: 5'),
    line: 6,
    col: 5,
    path: '/routes/~1old/timeout_secs',
    message: /does not apply to "redirect" routes/,
    hint: /applies to proxy, load_balance routes/,
  },
  {
    rule: 'strip_prefix and path_rewrite exclude each other',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    path_rewrite: /v2', '    strip_prefix: true'),
    line: 7,
    col: 5,
    path: '/routes/~1api/strip_prefix',
    message: /cannot both be set/,
  },
  {
    rule: 'path_rewrite starts with /',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    path_rewrite: v2'),
    line: 6,
    col: 19,
    path: '/routes/~1api/path_rewrite',
    message: /"v2" is not a valid path_rewrite/,
    hint: /Starts with \//,
  },
  {
    rule: 'timeout_secs must be positive',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    timeout_secs: 0'),
    line: 6,
    col: 19,
    path: '/routes/~1api/timeout_secs',
    message: /must be > 0 \(got 0\)/,
  },
  {
    rule: 'route key must have a path',
    text: yaml(...HEADER, '  api.example.com:', '    type: proxy', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/api.example.com',
    message: /has no path/,
    hint: /"api\.example\.com\/"/,
  },
  {
    rule: 'route key with a query can never match',
    text: yaml(...HEADER, '  /search?q=1:', '    type: proxy', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/~1search?q=1',
    message: /contains "\?" and can never match/,
  },
  {
    rule: 'route key with a fragment can never match',
    text: yaml(...HEADER, '  "/docs#top":', '    type: proxy', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/~1docs#top',
    message: /contains "#" and can never match/,
  },
  {
    rule: 'route host must not carry a port',
    text: yaml(...HEADER, '  api.example.com:8443/:', '    type: proxy', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/api.example.com:8443~1',
    message: /includes a port/,
  },
  {
    rule: 'route host must be a host name',
    text: yaml(...HEADER, '  "api_example!/":', '    type: proxy', '    target: "http://a"'),
    line: 3,
    col: 3,
    path: '/routes/api_example!~1',
    message: /not a valid host name/,
  },
  {
    rule: 'routes equal after normalisation are duplicates (second one reported)',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '  /api/:', '    type: proxy', '    target: "http://b"'),
    line: 6,
    col: 3,
    path: '/routes/~1api~1',
    message: /route "\/api\/" duplicates route "\/api"/,
  },
  {
    rule: 'host case does not make a different route',
    text: yaml(...HEADER, '  API.example.com/:', '    type: proxy', '    target: "http://a"', '  api.example.com/:', '    type: proxy', '    target: "http://b"'),
    line: 6,
    col: 3,
    path: '/routes/api.example.com~1',
    message: /duplicates route "API\.example\.com\/"/,
  },
  {
    rule: 'YAML duplicate keys are errors at the second key',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '  /api:', '    type: proxy', '    target: "http://b"'),
    line: 6,
    col: 3,
    path: '',
    message: /duplicate key "\/api"/,
  },
  {
    rule: 'trusted_proxies entries must be IPs or CIDRs',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'trusted_proxies:', '  - 10.0.0.0/8', '  - 10.0.0.0/40'),
    line: 6,
    col: 5,
    path: '/trusted_proxies/1',
    message: /"10\.0\.0\.0\/40" is not a valid address or range/,
  },
  {
    rule: 'limits.max_body_bytes must be an integer or null',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'limits:', '  max_body_bytes: 1.5'),
    line: 5,
    col: 19,
    path: '/limits/max_body_bytes',
    message: /expected a whole number or null/,
  },
  {
    rule: 'rate_limit by header needs header_name',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit:', '      by: header', '      requests: 5', '      period: 30s'),
    line: 6,
    col: 5,
    path: '/routes/~1api/rate_limit',
    message: /missing required field "header_name"/,
  },
  {
    rule: 'rate_limit period uses s, m or h',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit: {by: ip, requests: 5, period: 2d}'),
    line: 6,
    col: 47,
    path: '/routes/~1api/rate_limit/period',
    message: /"2d" is not a valid period/,
    hint: /30s, 5m, 1h/,
  },
  {
    rule: 'rate_limit period is at most 31 days',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit: {by: ip, requests: 5, period: 745h}'),
    line: 6,
    col: 47,
    path: '/routes/~1api/rate_limit/period',
    message: /period "745h" is longer than 31 days/,
    hint: /at most 744h/,
  },
  {
    rule: 'rate_limit burst is at least 1',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit:', '      by: ip', '      requests: 5', '      period: 30s', '      burst: 0'),
    line: 10,
    col: 14,
    path: '/routes/~1api/rate_limit/burst',
    message: /burst 0 would refuse every request/,
    hint: /at least 1/,
  },
  {
    rule: 'rate_limit burst only with token_bucket',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit:', '      by: ip', '      requests: 5', '      period: 30s', '      algorithm: fixed_window', '      burst: 10'),
    line: 11,
    col: 7,
    path: '/routes/~1api/rate_limit/burst',
    message: /"burst" applies to token_bucket only, not fixed_window/,
    hint: /use algorithm: token_bucket/,
  },
  {
    rule: 'rate_limit mode is enforce or shadow',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit: {by: ip, requests: 5, period: 30s, mode: dry_run}'),
    line: 6,
    col: 58,
    path: '/routes/~1api/rate_limit/mode',
    message: /"dry_run".*(enforce|shadow)/,
  },
  {
    rule: 'rate_limit max_keys is at least 1',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    rate_limit: {by: ip, requests: 5, period: 30s, max_keys: 0}'),
    line: 6,
    col: 62,
    path: '/routes/~1api/rate_limit/max_keys',
    message: /at least 1|>= 1/,
  },
  {
    rule: 'header names in request_headers.add must be tokens',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    request_headers:', '      add:', '        "Ok-Header": y', '        "Bad Header": x'),
    line: 9,
    col: 9,
    path: '/routes/~1api/request_headers/add/Bad Header',
    message: /"Bad Header" is not a valid header name/,
  },
  {
    rule: 'set_text and set_json exclude each other',
    text: yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', '    response_body:', '      set_text: hi', '      set_json: {a: 1}'),
    line: 8,
    col: 7,
    path: '/routes/~1api/response_body/set_json',
    message: /cannot both be set/,
  },
  {
    rule: 'tls cert_path needs key_path',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'tls:', '  cert_path: ./cert.pem'),
    line: 5,
    col: 3,
    path: '/tls/cert_path',
    message: /"cert_path" also needs "key_path"/,
  },
  {
    rule: 'tls cannot mix files and acme',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'tls:', '  cert_path: c', '  key_path: k', '  acme: {enabled: false}'),
    line: 7,
    col: 3,
    path: '/tls/acme',
    message: /both certificate files and acme/,
  },
  {
    rule: 'enabled acme needs domains and email',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'tls:', '  acme:', '    enabled: true', '    email: ops@example.com'),
    line: 5,
    col: 3,
    path: '/tls/acme',
    message: /missing required field "domains"/,
  },
  {
    rule: 'backend_health_paths keys are backend URLs',
    text: yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'backend_health_paths:', '  "httpbin.org": /get'),
    line: 5,
    col: 3,
    path: '/backend_health_paths/httpbin.org',
    message: /not an absolute URL/,
  },
  {
    rule: 'a route must be a mapping',
    text: yaml(...HEADER, '  /api: "http://a"'),
    line: 3,
    col: 9,
    path: '/routes/~1api',
    message: /expected a mapping, got string "http:\/\/a"/,
  },
  {
    rule: 'an empty file is invalid',
    text: '',
    line: 1,
    col: 1,
    path: '',
    message: /the config file is empty/,
  },
  {
    rule: 'YAML syntax errors carry a position',
    text: yaml(...HEADER, '  /api: {type: proxy, target: "http://a"', 'limits: {}'),
    line: 4,
    col: 1,
    path: '',
    message: /^YAML syntax:/,
  },
  {
    rule: 'tabs used for indentation',
    text: yaml(...HEADER, '\t/api: {type: proxy, target: "http://a"}'),
    line: 3,
    col: 1,
    path: '',
    message: /Tabs/,
    hint: /indent with spaces/,
  },
];

describe('validation rules', () => {
  it.each(cases)('$rule', ({ text, line, col, path, message, hint }) => {
    const errors = errorsOf(text);
    expect(errors).toHaveLength(1);
    const [error] = errors;
    expect(error).toMatchObject({ severity: 'error', file: FILE, line, col, path });
    expect(error!.message).toMatch(message);
    if (hint) expect(error!.hint).toMatch(hint);
  });

  it('reports every problem of a file in one run, in source order', () => {
    const errors = errorsOf(
      yaml(
        'listen_addr: "localhost:80"',
        'routes:',
        '  /a:',
        '    type: proxy',
        '    target: nowhere',
        '  /b:',
        '    type: redirect',
        '    target: /x',
        '    status_code: 200',
        'shutdown_timeout: 5',
      ),
    );
    expect(errors.map((e) => e.line)).toEqual([1, 5, 9, 10]);
  });

  it('finds fields inherited through YAML merge keys where the anchor defines them', () => {
    const errors = errorsOf(
      yaml(
        'x-upstream: &upstream',
        '  type: proxy',
        '  timeout_sec: 10',
        'listen_addr: "127.0.0.1:3000"',
        'routes:',
        '  /a:',
        '    <<: *upstream',
        '    target: "http://a"',
      ),
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 3, col: 3, path: '/routes/~1a/timeout_sec' });
    expect(errors[0]!.hint).toBe('did you mean "timeout_secs"?');
  });

  it('refuses alias bombs instead of expanding them', () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 8; i++) {
      const prev = String.fromCharCode(96 + i);
      const next = String.fromCharCode(97 + i);
      lines.push(`${next}: &${next} [${Array(10).fill(`*${prev}`).join(',')}]`);
    }
    const result = load(yaml(...lines));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/cannot load YAML/);
  });
});
