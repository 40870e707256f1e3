import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfigText } from '../../src/config/loader';
import type { Diagnostic, LoadResult } from '../../src/config/model';
import { makeTestCa, type TestCa, type TestCertificate } from '../support/certificates';

describe('tls and protocols config', () => {
  let ca: TestCa;
  let ec: TestCertificate;
  let ecOther: TestCertificate;

  beforeAll(() => {
    ca = makeTestCa();
    ec = ca.issue('ec', ['a.test', '*.a.test']);
    ecOther = ca.issue('ec-other', ['b.test']);
    // Written to disk for the mixed-key-type test, which names rsa.pem and rsa.key.
    ca.issue('rsa', ['c.test'], { keyType: 'rsa' });
  });

  /** Loaded as if the file sat in the CA's directory, so relative paths resolve there. */
  const load = (...lines: string[]): LoadResult => loadConfigText(['listen_addr: "127.0.0.1:8443"', 'routes:', '  /: {type: redirect, target: /x}', ...lines].join('\n') + '\n', join(ca.dir, 'config.yaml'));
  const errors = (...lines: string[]): Diagnostic[] => {
    const result = load(...lines);
    if (result.ok) throw new Error('expected errors');
    return [...result.errors];
  };

  it('normalises paths against the config directory and fills defaults', () => {
    const result = load('tls: {cert_path: ec.pem, key_path: ec.key}');
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect(result.warnings).toEqual([]);
    expect(result.config.tls).toEqual({
      defaultCertificate: { certPath: ec.certPath, keyPath: ec.keyPath },
      sniCertificates: [],
      minVersion: 'TLSv1.2',
      httpListenAddr: null,
      httpRedirect: true,
      hsts: null,
      http2: { enabled: true, maxConcurrentStreams: 100, maxFrameSize: 16384 },
      acme: null,
    });
  });

  it('takes every extension', () => {
    const result = load(
      'tls:',
      '  certificates: [{cert_path: ec-other.pem, key_path: ec-other.key}]',
      '  min_version: TLSv1.3',
      '  http_listen_addr: "127.0.0.1:8080"',
      '  http_redirect: false',
      '  hsts: {max_age_secs: 60, preload: true}',
      'protocols: {http2_enabled: false, http2_max_concurrent_streams: 7, http2_max_frame_size: 16777215}',
    );
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect(result.config.tls).toMatchObject({
      defaultCertificate: null,
      sniCertificates: [{ certPath: ecOther.certPath, keyPath: ecOther.keyPath }],
      minVersion: 'TLSv1.3',
      httpListenAddr: { host: '127.0.0.1', port: 8080 },
      httpRedirect: false,
      hsts: { maxAgeSecs: 60, includeSubdomains: false, preload: true },
      http2: { enabled: false, maxConcurrentStreams: 7, maxFrameSize: 16777215 },
    });
  });

  it('refuses missing and unreadable files, naming the field', () => {
    const found = errors('tls: {cert_path: missing.pem, key_path: ec.key}');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: '/tls/cert_path', line: 4 });
    expect(found[0]!.message).toMatch(/cannot read certificate .*missing\.pem.*no such file/);
    const notPem = join(ca.dir, 'not.pem');
    writeFileSync(notPem, 'hello');
    expect(errors('tls: {cert_path: not.pem, key_path: ec.key}')[0]!.message).toMatch(/is not a PEM certificate/);
    expect(errors('tls: {cert_path: ec.pem, key_path: not.pem}')[0]).toMatchObject({ path: '/tls/key_path' });
  });

  it('refuses a key that does not belong to its certificate', () => {
    const found = errors('tls:', '  certificates:', '    - {cert_path: ec.pem, key_path: ec-other.key}');
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ path: '/tls/certificates/0/key_path' });
    expect(found[0]!.message).toMatch(/does not belong to the certificate/);
  });

  it('refuses mixed key types with a clear error', () => {
    const found = errors('tls:', '  cert_path: ec.pem', '  key_path: ec.key', '  certificates: [{cert_path: rsa.pem, key_path: rsa.key}]');
    expect(found).toHaveLength(1);
    expect(found[0]!.message).toMatch(/has a rsa key but .* has a ec key: prox serves one key type/);
    expect(found[0]!.hint).toMatch(/same key type/);
  });

  it.each([16383, 16777216, 0])('refuses http2_max_frame_size %d', (size) => {
    const found = errors('tls: {cert_path: ec.pem, key_path: ec.key}', `protocols: {http2_max_frame_size: ${size}}`);
    expect(found[0]).toMatchObject({ path: '/protocols/http2_max_frame_size' });
  });

  it('refuses tls without any certificate (and without acme)', () => {
    expect(errors('tls: {min_version: TLSv1.3}')[0]!.message).toMatch(/tls needs cert_path \+ key_path/);
    expect(errors('tls: {certificates: []}')[0]!.message).toMatch(/tls needs cert_path \+ key_path/);
  });

  it('refuses a plaintext listener on the TLS address', () => {
    expect(errors('tls: {cert_path: ec.pem, key_path: ec.key, http_listen_addr: "127.0.0.1:8443"}')[0]).toMatchObject({ path: '/tls/http_listen_addr' });
    expect(errors('tls: {cert_path: ec.pem, key_path: ec.key, http_listen_addr: "nope"}')[0]).toMatchObject({ path: '/tls/http_listen_addr' });
  });

  it('warns that http2 settings without tls do nothing', () => {
    const result = load('protocols: {http2_max_concurrent_streams: 50}');
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual(['protocols.http2_* apply to the TLS listener only: without tls they have no effect']);
  });
});
