import { CompiledCondition } from '../../../src/core/rules/condition';
import { HeaderRuleSet } from '../../../src/core/rules/header-rules';
import { Placeholder, PlaceholderValues } from '../../../src/core/rules/template';
import { routeWithRules } from './support';

const VALUES: PlaceholderValues = {
  valueOf: (placeholder) => (placeholder === Placeholder.ClientIp ? '198.51.100.4' : `<${placeholder}>`),
};

function requestRules(...lines: string[]): HeaderRuleSet {
  const rules = HeaderRuleSet.compile(routeWithRules('request_headers:', ...lines.map((l) => '  ' + l)).rules.requestHeaders);
  if (rules === null) throw new Error('expected rules');
  return rules;
}

function responseRules(...lines: string[]): HeaderRuleSet {
  const rules = HeaderRuleSet.compile(routeWithRules('response_headers:', ...lines.map((l) => '  ' + l)).rules.responseHeaders);
  if (rules === null) throw new Error('expected rules');
  return rules;
}

function applied(rules: HeaderRuleSet, headers: string[], input: { method?: string; path?: string; condition?: string[]; status?: number } = {}): string[] {
  const list = headers.slice();
  rules.apply(list, input.method ?? 'GET', input.path ?? '/api/x', input.condition ?? headers, input.status ?? 0, VALUES);
  return list;
}

describe('header rules: operations', () => {
  test('no rules compile to null', () => {
    expect(HeaderRuleSet.compile([])).toBeNull();
  });

  test('add replaces every header of that name, whatever the case it was written in', () => {
    const rules = requestRules('add: {X-Custom: new}');
    expect(applied(rules, ['x-custom', 'old1', 'accept', '*/*', 'x-custom', 'old2'])).toEqual(['accept', '*/*', 'x-custom', 'new']);
  });

  test('append adds another line and keeps the existing ones', () => {
    const rules = requestRules('append: {Via: 1.1 prox}');
    expect(applied(rules, ['via', '1.0 edge'])).toEqual(['via', '1.0 edge', 'via', '1.1 prox']);
  });

  test('remove drops every header of each name, names written in any case', () => {
    const rules = requestRules('remove: [User-Agent, REFERER]');
    expect(applied(rules, ['user-agent', 'curl', 'accept', '*/*', 'referer', 'r', 'user-agent', 'again'])).toEqual(['accept', '*/*']);
  });

  test('removing a header that is not there changes nothing', () => {
    expect(applied(requestRules('remove: [X-Absent]'), ['accept', '*/*'])).toEqual(['accept', '*/*']);
  });

  test('within a block: remove, then add, then append, whatever order they are written in', () => {
    const rules = requestRules('append: {X-A: appended}', 'add: {X-A: added}', 'remove: [X-A]');
    expect(applied(rules, ['x-a', 'original'])).toEqual(['x-a', 'added', 'x-a', 'appended']);
  });

  test('names are sent lower-case; values keep their case', () => {
    expect(applied(requestRules('add: {X-My-Header: MyValue}'), [])).toEqual(['x-my-header', 'MyValue']);
  });

  test('placeholders are filled in', () => {
    expect(applied(requestRules('add: {X-Real-IP: "{client_ip}", X-Trace: "t={request_id}"}'), [])).toEqual([
      'x-real-ip',
      '198.51.100.4',
      'x-trace',
      `t=<${Placeholder.RequestId}>`,
    ]);
  });

  test('blocks of a list apply in order: a later add wins', () => {
    const rules = requestRules('- add: {X-A: first}', '- add: {X-A: second}', '  append: {X-B: b}');
    expect(applied(rules, [])).toEqual(['x-a', 'second', 'x-b', 'b']);
  });
});

describe('header rules: conditions', () => {
  const conditional = (condition: string): HeaderRuleSet => requestRules(`condition: ${condition}`, 'add: {X-Hit: "1"}');
  const hit = (rules: HeaderRuleSet, input: Parameters<typeof applied>[2], headers: string[] = []): boolean =>
    applied(rules, headers, input).includes('x-hit');

  test.each<[string, Parameters<typeof applied>[2], string[], boolean]>([
    ['{path_matches: /special}', { path: '/proxy/special/post' }, [], true],
    ['{path_matches: /special}', { path: '/proxy/plain' }, [], false],
    ['{path_matches: "^/api$"}', { path: '/api/x' }, [], false],
    ['{path_matches: "\\\\.json$"}', { path: '/a/b.json' }, [], true],
    ['{method_is: POST}', { method: 'POST' }, [], true],
    ['{method_is: post}', { method: 'POST' }, [], true],
    ['{method_is: POST}', { method: 'GET' }, [], false],
    ['{method_is: [PUT, PATCH]}', { method: 'PATCH' }, [], true],
    ['{method_is: [PUT, PATCH]}', { method: 'POST' }, [], false],
    ['{has_header: {name: X-Debug}}', {}, ['x-debug', ''], true],
    ['{has_header: {name: X-Debug}}', {}, ['x-other', '1'], false],
    ['{has_header: {name: Authorization, value_matches: "^Bearer "}}', {}, ['authorization', 'Bearer t'], true],
    ['{has_header: {name: Authorization, value_matches: "^Bearer "}}', {}, ['authorization', 'Basic t'], false],
    // any value of a repeated header may match
    ['{has_header: {name: X-Tag, value_matches: "^b$"}}', {}, ['x-tag', 'a', 'x-tag', 'b'], true],
    // every field must hold
    ['{method_is: POST, path_matches: /special}', { method: 'POST', path: '/special' }, [], true],
    ['{method_is: POST, path_matches: /special}', { method: 'GET', path: '/special' }, [], false],
    ['{method_is: POST, path_matches: /special}', { method: 'POST', path: '/plain' }, [], false],
  ])('%s with %j and headers %j: %s', (condition, input, headers, expected) => {
    expect(hit(conditional(condition), input, headers)).toBe(expected);
  });

  test('conditions look at the original headers, not at what an earlier block changed', () => {
    const rules = requestRules('- remove: [X-Debug]', '- condition: {has_header: {name: X-Debug}}', '  add: {X-Hit: "1"}');
    expect(applied(rules, ['x-debug', '1'])).toEqual(['x-hit', '1']);
  });

  test.each<[string, number, boolean]>([
    ['404', 404, true],
    ['404', 200, false],
    ['"500-599"', 503, true],
    ['"500-599"', 499, false],
    ['"404,500-599"', 404, true],
    ['[404, "500-502"]', 502, true],
    ['[404, "500-502"]', 503, false],
  ])('response status %s against %i: %s', (status, actual, expected) => {
    const rules = responseRules(`condition: {status: ${status}}`, 'add: {X-Hit: "1"}');
    expect(applied(rules, [], { status: actual }).includes('x-hit')).toBe(expected);
  });

  test('a response condition tests the headers it is given (the upstream response), not the edited list', () => {
    const rules = responseRules('condition: {has_header: {name: X-Error-Type, value_matches: NotFound}}', 'add: {X-Hit: "1"}');
    expect(applied(rules, ['content-type', 'text/html'], { condition: ['x-error-type', 'NotFound'] })).toContain('x-hit');
    expect(applied(rules, ['x-error-type', 'NotFound'], { condition: ['content-type', 'text/html'] })).not.toContain('x-hit');
  });

  test('a condition is compiled once, null when absent', () => {
    expect(CompiledCondition.compile(null)).toBeNull();
    const condition = CompiledCondition.compile({ pathMatches: 'a+', methodIs: null, hasHeader: null, status: null })!;
    // no global flag: repeated tests give the same answer
    expect([condition.matches('GET', 'xaay', [], 0), condition.matches('GET', 'xaay', [], 0)]).toEqual([true, true]);
  });
});
