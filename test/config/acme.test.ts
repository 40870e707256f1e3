import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigText } from '../../src/config/loader';
import type { Diagnostic, LoadResult } from '../../src/config/model';

describe('tls.acme config', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prox-acme-config-'));
  });

  /** Loaded as if the file sat in `dir`, so relative paths resolve there. */
  const load = (...lines: string[]): LoadResult =>
    loadConfigText(['listen_addr: "127.0.0.1:8443"', 'routes:', '  /: {type: redirect, target: /x}', ...lines].join('\n') + '\n', join(dir, 'config.yaml'));
  const acme = (...fields: string[]): string[] => ['tls:', '  acme:', '    enabled: true', '    email: ops@example.com', ...fields.map((f) => `    ${f}`)];
  const errors = (...lines: string[]): Diagnostic[] => {
    const result = load(...lines);
    if (result.ok) throw new Error('expected errors');
    return [...result.errors];
  };

  it('normalises: names lower-cased, storage against the config directory, auto → tls-alpn-01 without a plaintext listener', () => {
    const result = load(...acme('domains: [Example.com, www.example.com]'));
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(result.config.tls).toMatchObject({ defaultCertificate: null, sniCertificates: [] });
    expect(result.config.tls!.acme).toEqual({
      domains: ['example.com', 'www.example.com'],
      email: 'ops@example.com',
      directoryUrl: 'https://acme-v02.api.letsencrypt.org/directory',
      storagePath: join(dir, 'acme_storage'),
      renewalDaysBeforeExpiry: 30,
      challenge: 'tls-alpn-01',
      caRootPath: null,
      eab: null,
    });
  });

  it('auto picks http-01 with http_listen_addr; staging and ca_url pick the directory', () => {
    const withHttp = load(...acme('domains: [a.example]', 'staging: true'), '  http_listen_addr: "127.0.0.1:8080"');
    if (!withHttp.ok) throw new Error('expected valid');
    expect(withHttp.config.tls!.acme).toMatchObject({ challenge: 'http-01', directoryUrl: 'https://acme-staging-v02.api.letsencrypt.org/directory' });
    const custom = load(...acme('domains: [a.example]', 'ca_url: "https://ca.internal/acme/directory"', 'challenge: tls-alpn-01', 'eab: {kid: k1, hmac_key: c2VjcmV0}'));
    if (!custom.ok) throw new Error('expected valid');
    expect(custom.config.tls!.acme).toMatchObject({ challenge: 'tls-alpn-01', directoryUrl: 'https://ca.internal/acme/directory', eab: { kid: 'k1', hmacKey: 'c2VjcmV0' } });
  });

  it('refuses IP addresses, wildcards (DNS-01 unsupported), non-names and duplicates', () => {
    const found = errors(...acme('domains: [203.0.113.7, "*.example.com", "exa mple.com", a.example, A.example]'));
    expect(found.map((e) => [e.path, e.message])).toEqual([
      ['/tls/acme/domains/0', expect.stringMatching(/is an IP address/)],
      ['/tls/acme/domains/1', expect.stringMatching(/wildcard certificates need the DNS-01 challenge, which prox does not support/)],
      ['/tls/acme/domains/2', expect.stringMatching(/is not a DNS name/)],
      ['/tls/acme/domains/4', expect.stringMatching(/listed twice/)],
    ]);
  });

  it('refuses a bad email, missing domains, and http-01 without http_listen_addr', () => {
    expect(errors(...acme('domains: [a.example]').map((l) => l.replace('ops@example.com', 'not-an-email'))).map((e) => e.path)).toContain('/tls/acme/email');
    expect(errors('tls:', '  acme: {enabled: true, email: ops@example.com}').map((e) => e.path)).toContain('/tls/acme');
    const [problem] = errors(...acme('domains: [a.example]', 'challenge: http-01'));
    expect(problem).toMatchObject({ path: '/tls/acme/challenge', message: expect.stringMatching(/http-01 needs tls.http_listen_addr/) });
  });

  it('accepts acme with workers > 1 (the supervisor talks to the CA and hands certificates to the workers)', () => {
    expect(load('workers: 2', ...acme('domains: [a.example]')).ok).toBe(true);
  });

  it('warns when staging is set together with ca_url', () => {
    const result = load(...acme('domains: [a.example]', 'staging: true', 'ca_url: "https://ca.internal/dir"'));
    if (!result.ok) throw new Error('expected valid');
    expect(result.warnings.map((w) => [w.path, w.message])).toEqual([['/tls/acme/staging', 'staging is ignored when ca_url is set']]);
  });

  it('checks that the storage directory can be created and written, and that ca_root_path is PEM', () => {
    writeFileSync(join(dir, 'a-file'), 'x');
    expect(errors(...acme('domains: [a.example]', 'storage_path: a-file/sub'))[0]).toMatchObject({ path: '/tls/acme/storage_path', message: expect.stringMatching(/is not a directory/) });
    if (process.getuid?.() !== 0) {
      const locked = mkdtempSync(join(dir, 'locked-'));
      chmodSync(locked, 0o500);
      expect(errors(...acme('domains: [a.example]', `storage_path: ${locked}/store`))[0].message).toMatch(/is not writable/);
    }
    writeFileSync(join(dir, 'not-pem.pem'), 'hello');
    expect(errors(...acme('domains: [a.example]', 'ca_root_path: not-pem.pem'))[0]).toMatchObject({ path: '/tls/acme/ca_root_path' });
  });

  it('a disabled acme block without files leaves the listener plaintext, with a warning', () => {
    const result = load('tls: {acme: {enabled: false}}');
    if (!result.ok) throw new Error('expected valid');
    expect(result.config.tls).toBeNull();
    expect(result.warnings.map((w) => w.path)).toEqual(['/tls/acme']);
  });
});
