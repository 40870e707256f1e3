import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { echoHandler, startBackend, waitForLog, type TestBackend } from '../support/backends';
import { makeTestCa, type TestCa, type TestCertificate } from '../support/certificates';
import { freeLoopbackPort } from '../support/ports';
import { startProx, type ProxProcess } from '../support/prox-process';
import { curl, h2Request, h2Session, servedCertificate, sClient } from '../support/tls-clients';

/**
 * HTTPS termination with real clients: curl (h2 and http/1.1), openssl s_client, node's tls and
 * http2 clients, against a CA made for the test.
 */
describe('TLS termination', () => {
  let ca: TestCa;
  let caPem: Buffer;
  let main: TestCertificate;
  let exact: TestCertificate;
  let wildcard: TestCertificate;
  let backend: TestBackend;
  let prox: ProxProcess;
  let plainPort: number;

  beforeAll(async () => {
    ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    main = ca.issue('main', ['main.test', '127.0.0.1']);
    exact = ca.issue('exact', ['api.example.test']);
    wildcard = ca.issue('wildcard', ['*.apps.example.test']);
    backend = await startBackend(echoHandler);
    plainPort = await freeLoopbackPort();
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'tls:',
        `  cert_path: "${main.certPath}"`,
        `  key_path: "${main.keyPath}"`,
        '  certificates:',
        `    - { cert_path: "${exact.certPath}", key_path: "${exact.keyPath}" }`,
        `    - { cert_path: "${wildcard.certPath}", key_path: "${wildcard.keyPath}" }`,
        `  http_listen_addr: "127.0.0.1:${plainPort}"`,
        '  hsts: { max_age_secs: 600, include_subdomains: true }',
        'admin: { listen_addr: "127.0.0.1:0" }',
        'routes:',
        `  "/": { type: proxy, target: "${backend.url}" }`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  const resolveTo = (name: string): string[] => ['--resolve', `${name}:${prox.port}:127.0.0.1`, '--cacert', ca.certPath];

  it.each([
    ['--http2', '2'],
    ['--http1.1', '1.1'],
  ])('proxies over HTTPS with curl %s: Host from the authority, X-Forwarded-Proto https, HSTS', async (flag, version) => {
    const result = await curl([flag, ...resolveTo('main.test'), '-D', '-', '-w', '\\n%{http_version}', `https://main.test:${prox.port}/hello?x=1`]);
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[lines.length - 1]).toBe(version);
    expect(result.stdout).toMatch(/^strict-transport-security: max-age=600; includeSubDomains\r?$/m);
    const body = JSON.parse(lines[lines.length - 2]) as { url: string; headers: Record<string, string> };
    expect(body.url).toBe('/hello?x=1');
    expect(body.headers['x-forwarded-proto']).toBe('https');
    expect(body.headers['x-forwarded-host']).toBe(`main.test:${prox.port}`);
  });

  it('writes protocol and tls_version into the access log', async () => {
    const from = prox.logs.length;
    await curl(['--http2', ...resolveTo('main.test'), '-o', '/dev/null', `https://main.test:${prox.port}/logged`]);
    // An earlier test's line can still arrive first under load: wait for this request's own.
    const line = await waitForLog(prox, 'request', (entry) => entry.path === '/logged', from, 30_000);
    expect(line).toMatchObject({ path: '/logged', protocol: 'h2', tls_version: 'TLSv1.3' });
  });

  it('carries a request body both ways over h2', async () => {
    const payload = 'x'.repeat(300_000);
    const file = join(ca.dir, 'payload.txt');
    writeFileSync(file, payload);
    const result = await curl(['--http2', ...resolveTo('main.test'), '--data-binary', `@${file}`, '-H', 'content-type: text/plain', `https://main.test:${prox.port}/upload`]);
    expect(result.code).toBe(0);
    expect((JSON.parse(result.stdout) as { body: string }).body).toBe(payload);
  });

  it('picks the certificate by SNI: exact name, then wildcard, then the default; no SNI gets the default', async () => {
    expect((await servedCertificate(prox.port, 'api.example.test', caPem)).subject.CN).toBe('api.example.test');
    expect((await servedCertificate(prox.port, 'x.apps.example.test', caPem)).subject.CN).toBe('*.apps.example.test');
    // A wildcard covers one label only.
    expect((await servedCertificate(prox.port, 'a.b.apps.example.test', caPem)).subject.CN).toBe('main.test');
    expect((await servedCertificate(prox.port, 'unknown.test', caPem)).subject.CN).toBe('main.test');
    expect((await servedCertificate(prox.port, null, caPem)).subject.CN).toBe('main.test');
    const ip = await curl(['--http1.1', '--cacert', ca.certPath, '-o', '/dev/null', '-w', '%{http_code}', `https://127.0.0.1:${prox.port}/`]);
    expect(ip.stdout).toBe('200');
  });

  it('negotiates h2 or http/1.1 by ALPN (openssl s_client)', async () => {
    const base = ['-connect', `127.0.0.1:${prox.port}`, '-servername', 'api.example.test', '-CAfile', ca.certPath];
    expect((await sClient([...base, '-alpn', 'h2,http/1.1'])).stdout).toMatch(/ALPN protocol: h2/);
    expect((await sClient([...base, '-alpn', 'http/1.1'])).stdout).toMatch(/ALPN protocol: http\/1\.1/);
    const unknown = await sClient([...base, '-alpn', 'spdy/3']);
    expect(unknown.stdout + unknown.stderr).toMatch(/no application protocol|No ALPN negotiated/i);
    expect((await sClient([...base, '-tls1_1'])).code).not.toBe(0);
  });

  it('redirects the plaintext listener to https with 308, keeping host, path and query', async () => {
    const result = await curl(['-D', '-', '-o', '/dev/null', '-H', 'Host: main.test', `http://127.0.0.1:${plainPort}/a/b?c=d`]);
    expect(result.stdout).toMatch(/^HTTP\/1\.1 308/);
    expect(result.stdout).toMatch(new RegExp(`^location: https://main\\.test:${prox.port}/a/b\\?c=d\\r?$`, 'm'));
    expect(result.stdout).not.toMatch(/strict-transport-security/i);
  });

  it('answers 400 when :authority and host disagree (h2)', async () => {
    const session = await h2Session(prox.port, 'main.test', caPem);
    try {
      const ok = await h2Request(session, { ':path': '/same', ':authority': `main.test:${prox.port}`, host: `main.test:${prox.port}` });
      expect(ok.status).toBe(200);
      const received = backend.received.length;
      const bad = await h2Request(session, { ':path': '/differ', ':authority': 'main.test', host: 'evil.test' });
      expect(bad.status).toBe(400);
      expect(backend.received.length).toBe(received);
      // The connection is still fine for the next request.
      expect((await h2Request(session, { ':path': '/after' })).status).toBe(200);
    } finally {
      session.close();
    }
  });

  it('answers 431 to an h2 header list over limits.max_header_bytes, and keeps the connection', async () => {
    const session = await h2Session(prox.port, 'main.test', caPem);
    try {
      const big = await h2Request(session, { ':path': '/big', 'x-big': 'y'.repeat(17_000) });
      expect(big.status).toBe(431);
      expect((await h2Request(session, { ':path': '/small' })).status).toBe(200);
    } finally {
      session.close();
    }
  });

  it('keeps the HTTP/1.1 hygiene and header limits over TLS (431, 400 on conflicting Content-Length)', async () => {
    const big = await curl(['--http1.1', ...resolveTo('main.test'), '-o', '/dev/null', '-w', '%{http_code}', '-H', `x-big: ${'y'.repeat(20_000)}`, `https://main.test:${prox.port}/`]);
    expect(big.stdout).toBe('431');
    const conflicting = await curl(['--http1.1', ...resolveTo('main.test'), '-o', '/dev/null', '-w', '%{http_code}', '-H', 'content-length: 1', '-H', 'content-length: 2', '--data-binary', 'x', `https://main.test:${prox.port}/`]);
    expect(conflicting.stdout).toBe('400');
  });

  it('counts failed handshakes by reason and reports each certificate expiry', async () => {
    await sClient(['-connect', `127.0.0.1:${prox.port}`, '-servername', 'main.test', '-alpn', 'spdy/3']);
    const metrics = await (await fetch(`${prox.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/prox_tls_handshake_failures_total\{reason="no_application_protocol"\} [1-9]/);
    for (const domain of ['main.test', 'api.example.test', '*.apps.example.test']) {
      const match = new RegExp(`prox_tls_certificate_expiry_seconds\\{domain="${domain.replace(/[.*]/g, '\\$&')}"\\} (\\d+)`).exec(metrics);
      expect(match).not.toBeNull();
      expect(Number(match![1])).toBeGreaterThan(86_400);
    }
  });
});
