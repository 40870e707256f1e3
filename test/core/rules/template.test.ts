import { isTemplateProblem, parseTemplate } from '../../../src/config/placeholders';
import { headerSafe, Placeholder, PlaceholderValues, ValueTemplate } from '../../../src/core/rules/template';

const VALUES: Record<Placeholder, string> = {
  [Placeholder.ClientIp]: '198.51.100.4',
  [Placeholder.Timestamp]: '1700000000',
  [Placeholder.TimestampIso]: '2023-11-14T22:13:20.000Z',
  [Placeholder.RequestId]: 'abc-1',
  [Placeholder.Host]: 'example.com',
  [Placeholder.UriPath]: '/api/x',
  [Placeholder.Method]: 'POST',
  [Placeholder.Route]: '/api',
};

class Recorded implements PlaceholderValues {
  asked: Placeholder[] = [];
  valueOf(placeholder: Placeholder): string {
    this.asked.push(placeholder);
    return VALUES[placeholder];
  }
}

function render(text: string): string {
  const parts = parseTemplate(text);
  if (isTemplateProblem(parts)) throw new Error(parts.message);
  return ValueTemplate.compile(parts).render(new Recorded());
}

describe('header value templates', () => {
  test.each<[string, string]>([
    ['plain', 'plain'],
    ['', ''],
    ['{client_ip}', '198.51.100.4'],
    ['{timestamp}', '1700000000'],
    ['{timestamp_iso}', '2023-11-14T22:13:20.000Z'],
    ['{request_id}', 'abc-1'],
    ['{host}', 'example.com'],
    ['{uri_path}', '/api/x'],
    ['{method}', 'POST'],
    ['{route}', '/api'],
    ['for={client_ip};by=prox', 'for=198.51.100.4;by=prox'],
    ['{method} {uri_path}', 'POST /api/x'],
    // escapes: doubled braces are literal braces
    ['{{client_ip}}', '{client_ip}'],
    ['{{{client_ip}}}', '{198.51.100.4}'],
    ['a}b', 'a}b'],
    ['{{"json": 1}}', '{"json": 1}'],
  ])('%j renders as %j', (template, expected) => {
    expect(render(template)).toBe(expected);
  });

  test('a value without placeholders is compiled to a plain string and asks for nothing', () => {
    const parts = parseTemplate('a {{b}}');
    if (isTemplateProblem(parts)) throw new Error('unexpected');
    const template = ValueTemplate.compile(parts);
    expect(template.literal).toBe('a {b}');
    const values = new Recorded();
    template.render(values);
    expect(values.asked).toEqual([]);
  });

  test('a template asks only for the placeholders it uses', () => {
    const parts = parseTemplate('{host}:{host}');
    if (isTemplateProblem(parts)) throw new Error('unexpected');
    const values = new Recorded();
    expect(ValueTemplate.compile(parts).render(values)).toBe('example.com:example.com');
    expect(values.asked).toEqual([Placeholder.Host, Placeholder.Host]);
  });

  test.each<[string, RegExp, RegExp]>([
    ['{clientip}', /unknown placeholder \{clientip\}/, /did you mean \{client_ip\}\?/],
    ['{Client-IP}', /unknown placeholder \{Client-IP\}/, /did you mean \{client_ip\}\?/],
    ['{timestmp}', /unknown placeholder \{timestmp\}/, /did you mean \{timestamp\}\?/],
    ['{"a": 1}', /unknown placeholder \{"a": 1\}/, /known placeholders: .*\{client_ip\}.*write \{\{ for a literal \{/],
    ['{}', /unknown placeholder \{\}/, /known placeholders/],
    ['open {client_ip', /never closed/, /write \{\{ for a literal \{/],
  ])('%j is refused', (template, message, hint) => {
    const parsed = parseTemplate(template);
    if (!isTemplateProblem(parsed)) throw new Error('expected a problem');
    expect(parsed.message).toMatch(message);
    expect(parsed.hint).toMatch(hint);
  });
});

describe('headerSafe', () => {
  test.each<[string, string]>([
    ['/api/users', '/api/users'],
    ['/a%20b', '/a%20b'],
    ['/a b', '/a%20b'],
    ['/caf\u00e9', '/caf%C3%A9'],
    ['/x\u0001y', '/x%01y'],
    ['/\ud800', '/%EF%BF%BD'],
  ])('%j -> %j', (input, expected) => {
    expect(headerSafe(input)).toBe(expected);
  });
});
