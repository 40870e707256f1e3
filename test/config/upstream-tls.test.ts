import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expiryProblem } from '../../src/config/certificate-summary';
import { loadConfigText } from '../../src/config/loader';
import type { Diagnostic, LoadResult, ProxyRoute } from '../../src/config/model';
import { makeTestCa, type TestCa } from '../support/certificates';

describe('upstream_tls config', () => {
  let ca: TestCa;

  beforeAll(() => {
    ca = makeTestCa();
    writeFileSync(join(ca.dir, 'not-pem.txt'), 'hello\n');
  });

  /** Loaded as if the file sat in the CA's directory, so relative paths resolve there. */
  const load = (...lines: string[]): LoadResult => loadConfigText(['listen_addr: "127.0.0.1:8080"', ...lines].join('\n') + '\n', join(ca.dir, 'config.yaml'));
  const valid = (...lines: string[]): { routes: ProxyRoute[]; warnings: readonly Diagnostic[] } => {
    const result = load(...lines);
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    return { routes: result.config.routes as ProxyRoute[], warnings: result.warnings };
  };
  const errors = (...lines: string[]): Diagnostic[] => {
    const result = load(...lines);
    if (result.ok) throw new Error('expected errors');
    return [...result.errors];
  };

  it('is null without any upstream_tls (system CAs, the target name)', () => {
    const { routes, warnings } = valid('routes:', '  /: {type: proxy, target: "https://api.test"}');
    expect(routes[0].upstreamTls).toBeNull();
    expect(warnings).toEqual([]);
  });

  it('reads ca_path (relative to the config file) and keeps its text; server_name lower-cased', () => {
    const { routes, warnings } = valid('routes:', '  /: {type: proxy, target: "https://10.0.0.1", upstream_tls: {ca_path: ca.pem, server_name: API.Internal}}');
    expect(routes[0].upstreamTls).toMatchObject({ caPath: ca.certPath, serverName: 'api.internal', insecureSkipVerify: false });
    expect(routes[0].upstreamTls?.ca).toContain('-----BEGIN CERTIFICATE-----');
    expect(warnings).toEqual([]);
  });

  it('merges a route block over the top-level default field by field; load_balance routes too', () => {
    const { routes } = valid(
      'upstream_tls: {ca_path: ca.pem, server_name: a.internal}',
      'routes:',
      '  /a: {type: proxy, target: "https://a"}',
      '  /b: {type: load_balance, targets: ["https://b"], upstream_tls: {server_name: b.internal}}',
    );
    expect(routes[0].upstreamTls).toMatchObject({ caPath: ca.certPath, serverName: 'a.internal' });
    expect(routes[1].upstreamTls).toMatchObject({ caPath: ca.certPath, serverName: 'b.internal' });
    expect(routes[0].upstreamTls?.id).not.toBe(routes[1].upstreamTls?.id);
  });

  it('ca_path missing or not PEM is an error', () => {
    expect(errors('routes:', '  /: {type: proxy, target: "https://a", upstream_tls: {ca_path: nope.pem}}')).toEqual([
      expect.objectContaining({ path: '/routes/~1/upstream_tls/ca_path', message: expect.stringContaining('no such file') }),
    ]);
    expect(errors('upstream_tls: {ca_path: not-pem.txt}', 'routes:', '  /: {type: proxy, target: "https://a"}')).toEqual([
      expect.objectContaining({ path: '/upstream_tls/ca_path', message: expect.stringContaining('holds no PEM certificate') }),
    ]);
  });

  it('insecure_skip_verify is a warning, and so is a block on a route without https targets', () => {
    const { routes, warnings } = valid(
      'routes:',
      '  /a: {type: proxy, target: "https://a", upstream_tls: {insecure_skip_verify: true}}',
      '  /b: {type: proxy, target: "http://b", upstream_tls: {ca_path: ca.pem}}',
    );
    expect(routes[0].upstreamTls).toMatchObject({ insecureSkipVerify: true, caPath: null, ca: null });
    expect(warnings.map((w) => [w.path, w.message])).toEqual([
      ['/routes/~1a/upstream_tls/insecure_skip_verify', expect.stringContaining('accepts ANY certificate')],
      ['/routes/~1b/upstream_tls', 'upstream_tls has no effect: no target of this route is https://'],
    ]);
  });

  it('is not allowed on redirect and static routes', () => {
    expect(errors('routes:', '  /: {type: redirect, target: /x, upstream_tls: {insecure_skip_verify: true}}')[0].message).toMatch(/upstream_tls/);
  });
});

describe('certificate expiry', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const day = 86_400_000;

  it('is a problem once expired or under 14 days, with the date', () => {
    expect(expiryProblem(now - 1000, now)).toBe('certificate expired on 2025-12-31T23:59:59.000Z');
    expect(expiryProblem(now + 13 * day + 1000, now)).toBe('certificate expires on 2026-01-14T00:00:01.000Z, in 13 days (under 14)');
    expect(expiryProblem(now + 14 * day, now)).toBeNull();
  });
});
