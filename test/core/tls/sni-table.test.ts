import { SniTable } from '../../../src/core/tls/sni-table';
import { HttpsRedirect } from '../../../src/core/tls/https-redirect';
import { hstsHeaderValue } from '../../../src/core/tls/hsts';

describe('SniTable', () => {
  const table = new SniTable(
    [
      { names: ['api.example.com'], value: 'api' },
      { names: ['*.example.com', 'example.com'], value: 'wild' },
      { names: ['API.example.com'], value: 'later' },
    ],
    'default',
  );

  it.each([
    ['api.example.com', 'api'],
    ['API.Example.COM.', 'api'],
    ['www.example.com', 'wild'],
    ['example.com', 'wild'],
    ['a.b.example.com', 'default'],
    ['other.test', 'default'],
    ['com', 'default'],
  ])('%s → %s', (name, expected) => {
    expect(table.lookup(name)).toBe(expected);
  });

  it('answers null without a default', () => {
    expect(new SniTable([{ names: ['a.test'], value: 1 }], null).lookup('b.test')).toBeNull();
  });
});

describe('HSTS and the HTTPS redirect', () => {
  it('formats Strict-Transport-Security', () => {
    expect(hstsHeaderValue({ maxAgeSecs: 10, includeSubdomains: false, preload: false })).toBe('max-age=10');
    expect(hstsHeaderValue({ maxAgeSecs: 10, includeSubdomains: true, preload: true })).toBe('max-age=10; includeSubDomains; preload');
  });

  it.each([
    [443, 'example.com', '/a', 'x=1', 'https://example.com/a?x=1'],
    [8443, 'example.com', '/', '', 'https://example.com:8443/'],
    [443, '[::1]', '//evil.test/x', '', 'https://[::1]//evil.test/x'],
  ])('port %d host %s path %s → %s', (port, hostname, path, query, location) => {
    const answers: unknown[][] = [];
    const exchange = { request: { hostname, path, query }, respond: (...args: unknown[]) => answers.push(args) };
    new HttpsRedirect(() => port).handle(exchange as never);
    expect(answers[0]![0]).toBe(308);
    expect(answers[0]![1]).toEqual(expect.arrayContaining(['location', location]));
  });
});
