import { errorsOf, HEADER, load, loadValid, yaml } from './support';
import type { ProxyRoute } from '../../src/config/model';

/** Route `/api` from line 3; the given lines start at line 6. */
const route = (...lines: string[]): string => yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a"', ...lines);

interface Case {
  readonly rule: string;
  readonly lines: string[];
  readonly line: number;
  readonly path: string;
  readonly message: RegExp;
  readonly hint: RegExp;
}

const cases: Case[] = [
  {
    rule: 'unknown placeholder, with a did-you-mean',
    lines: ['    request_headers:', '      add:', '        X-Real-IP: "{clientip}"'],
    line: 8,
    path: '/routes/~1api/request_headers/add/X-Real-IP',
    message: /unknown placeholder \{clientip\}/,
    hint: /did you mean \{client_ip\}\?/,
  },
  {
    rule: 'unknown placeholder in a list block',
    lines: ['    response_headers:', '      - add: {X-A: ok}', '      - append:', '          X-B: "{nope}"'],
    line: 9,
    path: '/routes/~1api/response_headers/1/append/X-B',
    message: /unknown placeholder \{nope\}/,
    hint: /known placeholders: .*\{\{ for a literal \{/,
  },
  {
    rule: 'invalid path_matches regex',
    lines: ['    request_body:', '      condition:', '        path_matches: "/special(("', '      set_text: x'],
    line: 8,
    path: '/routes/~1api/request_body/condition/path_matches',
    message: /invalid regular expression/,
    hint: /escape special characters/,
  },
  {
    // (a+)+$ against 'aaaa…a!' backtracks exponentially: refused before it can run on a request.
    rule: 'catastrophic path_matches regex',
    lines: ['    request_body:', '      condition:', '        path_matches: "(a+)+$"', '      set_text: x'],
    line: 8,
    path: '/routes/~1api/request_body/condition/path_matches',
    message: /regular expression "\(a\+\)\+\$" can backtrack catastrophically \(exponential time/,
    hint: /nested or overlapping repetition/,
  },
  {
    rule: 'catastrophic value_matches regex',
    lines: ['    response_body:', '      condition: {has_header: {name: X-Error-Type, value_matches: "^(x|x)*y$"}}', '      set_text: x'],
    line: 7,
    path: '/routes/~1api/response_body/condition/has_header/value_matches',
    message: /can backtrack catastrophically/,
    hint: /nested or overlapping repetition/,
  },
  {
    rule: 'invalid value_matches regex',
    lines: ['    response_body:', '      condition: {has_header: {name: X-Error-Type, value_matches: "[a"}}', '      set_text: x'],
    line: 7,
    path: '/routes/~1api/response_body/condition/has_header/value_matches',
    message: /invalid regular expression/,
    hint: /JavaScript regular expression/,
  },
  {
    rule: 'Content-Length cannot be set by a header rule',
    lines: ['    response_headers:', '      add:', '        Content-Length: "10"'],
    line: 8,
    path: '/routes/~1api/response_headers/add/Content-Length',
    message: /header rules cannot add Content-Length/,
    hint: /request_body or response_body/,
  },
  {
    rule: 'hop-by-hop headers cannot be removed',
    lines: ['    request_headers:', '      remove: [Accept, Transfer-Encoding]'],
    line: 7,
    path: '/routes/~1api/request_headers/remove/1',
    message: /cannot remove Transfer-Encoding/,
    hint: /frames the body itself/,
  },
  {
    rule: 'Connection cannot be appended',
    lines: ['    request_headers: {append: {Connection: close}}'],
    line: 6,
    path: '/routes/~1api/request_headers/append/Connection',
    message: /cannot append Connection: it describes one connection/,
    hint: /hop-by-hop/,
  },
  {
    rule: 'Host cannot be removed from a request',
    lines: ['    request_headers: {remove: [Host]}'],
    line: 6,
    path: '/routes/~1api/request_headers/remove/0',
    message: /cannot remove Host/,
    hint: /use add to replace the Host/,
  },
  {
    rule: 'a header value with a line break',
    lines: ['    response_headers:', '      add:', '        X-Evil: "a\\r\\nSet-Cookie: x=1"'],
    line: 8,
    path: '/routes/~1api/response_headers/add/X-Evil',
    message: /header value contains a carriage return/,
    hint: /would split the message/,
  },
  {
    rule: 'status in a request rule',
    lines: ['    request_headers:', '      condition: {status: 404}', '      add: {X-A: b}'],
    line: 7,
    path: '/routes/~1api/request_headers/condition/status',
    message: /status applies only to response rules/,
    hint: /response_headers/,
  },
  {
    rule: 'a bad status range',
    lines: ['    response_headers:', '      condition: {status: "599-500"}', '      add: {X-A: b}'],
    line: 7,
    path: '/routes/~1api/response_headers/condition/status',
    message: /runs backwards/,
    hint: /500-599/,
  },
  {
    rule: 'a body rule needs set_text or set_json',
    lines: ['    response_body:', '      - {condition: {status: 404}, set_text: x}', '      - condition: {status: 500}'],
    line: 8,
    path: '/routes/~1api/response_body/1',
    message: /needs set_text or set_json/,
    hint: /set_text: replaces the body/,
  },
  {
    rule: 'the same header twice in add',
    lines: ['    request_headers:', '      add:', '        X-A: one', '        x-a: two'],
    line: 9,
    path: '/routes/~1api/request_headers/add/x-a',
    message: /set twice in add/,
    hint: /append/,
  },
];

describe('header and body rule validation', () => {
  test.each(cases)('$rule', ({ lines, line, path, message, hint }) => {
    const errors = errorsOf(route(...lines));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line, path });
    expect(errors[0]!.message).toMatch(message);
    expect(errors[0]!.hint).toMatch(hint);
  });

  test('a rule with a wrong shape gets a schema error at its line', () => {
    const errors = errorsOf(route('    request_headers: "X-A: b"'));
    expect(errors.map((e) => [e.line, e.message])).toEqual([[6, 'expected a mapping or a list, got string "X-A: b"']]);
  });

  test('an unknown field inside a list block gets a did-you-mean', () => {
    const errors = errorsOf(route('    response_headers:', '      - ad: {X-A: b}'));
    expect(errors.map((e) => [e.line, e.message, e.hint])).toEqual([[7, 'unknown field "ad"', 'did you mean "add"?']]);
  });

  test('header and body rules do not apply to redirect routes', () => {
    const errors = errorsOf(yaml(...HEADER, '  /r:', '    type: redirect', '    target: /x', '    response_headers: {add: {X-A: b}}'));
    expect(errors.map((e) => e.message)).toEqual(['"response_headers" does not apply to "redirect" routes']);
  });

  test('the rules are no longer reported as inactive', () => {
    const result = load(route('    request_headers: {add: {X-A: b}}', '    response_body: {set_text: x}'));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([]);
  });
});

describe('header and body rules in the model', () => {
  test('one block and lists are normalised alike: names lower-cased, values parsed, conditions filled', () => {
    const config = loadValid(
      route(
        '    request_headers:',
        '      condition: {method_is: post, has_header: {name: X-Debug}}',
        '      add: {X-Real-IP: "ip={client_ip}"}',
        '      remove: [User-Agent]',
        '    response_headers:',
        '      - append: {Via: "1.1 {{prox}}"}',
        '      - condition: {status: [404, "500-599"], path_matches: "^/api"}',
        '        remove: [Server]',
        '    response_body: {set_json: {error: nope}}',
        '    request_body: {set_text: hi}',
      ),
    );
    const rules = (config.routes[0] as ProxyRoute).rules;
    expect(rules.requestHeaders).toEqual([
      {
        condition: { pathMatches: null, methodIs: ['POST'], hasHeader: { name: 'x-debug', valueMatches: null }, status: null },
        remove: ['user-agent'],
        add: [{ name: 'x-real-ip', value: [{ kind: 'literal', text: 'ip=' }, { kind: 'placeholder', name: 'client_ip' }] }],
        append: [],
      },
    ]);
    expect(rules.responseHeaders).toEqual([
      { condition: null, remove: [], add: [], append: [{ name: 'via', value: [{ kind: 'literal', text: '1.1 {prox}' }] }] },
      {
        condition: { pathMatches: '^/api', methodIs: null, hasHeader: null, status: [{ from: 404, to: 404 }, { from: 500, to: 599 }] },
        remove: ['server'],
        add: [],
        append: [],
      },
    ]);
    expect(rules.responseBody).toEqual([{ condition: null, body: '{"error":"nope"}', contentType: 'application/json' }]);
    expect(rules.requestBody).toEqual([{ condition: null, body: 'hi', contentType: 'text/plain; charset=utf-8' }]);
  });
});
