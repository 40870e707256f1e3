import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa, type TestCertificate } from '../support/certificates';
import { startProx, type ProxProcess } from '../support/prox-process';
import { curl, h2Request, h2Session } from '../support/tls-clients';
import { describeEachEngine } from '../support/engines';

/**
 * ip_filter against a real prox on both inbound engines: clients are real curl processes bound
 * to different loopback addresses (127.0.0.1, 127.0.0.2; all of 127/8 is loopback on Linux).
 */

const ENGINES = ['uws', 'node', 'llhttp'] as const;

/** Status and body of a curl request from `source`; extra curl arguments after. */
async function from(source: string, url: string, ...args: string[]): Promise<{ status: number; body: string }> {
  const result = await curl(['--interface', source, '-w', '\n%{http_code}', ...args, url]);
  expect(result.stderr).toBe('');
  const cut = result.stdout.lastIndexOf('\n');
  return { status: Number(result.stdout.slice(cut + 1)), body: result.stdout.slice(0, cut) };
}

async function metricValue(prox: ProxProcess, route: string, decision: string): Promise<number> {
  const text = await (await fetch(`${prox.adminUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`prox_ip_filter_decisions_total{route="${route}",decision="${decision}"}`));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describeEachEngine(ENGINES, 'ip_filter on %s', (engine) => {
  let backend: TestBackend;
  let prox: ProxProcess;
  let root: string;

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`backend saw ${req.url}`);
    });
    root = mkdtempSync(join(tmpdir(), 'prox-ipf-'));
    writeFileSync(join(root, 'index.html'), 'static index');
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'trusted_proxies: ["127.0.0.3"]',
        'routes:',
        `  /office: { type: proxy, target: "${backend.url}", ip_filter: { allow: ["127.0.0.0/8"], deny: ["127.0.0.2/32"] } }`,
        `  /only-one:`,
        `    type: proxy`,
        `    target: "${backend.url}"`,
        `    ip_filter: { allow: ["127.0.0.1"] }`,
        `    errors: { "403": { type: text, body: "not from here" } }`,
        `  /partners: { type: proxy, target: "${backend.url}", ip_filter: { allow: ["203.0.113.0/24"] } }`,
        `  /files: { type: static, root: "${root}", ip_filter: { deny: ["127.0.0.2"] } }`,
        `  /ws: { type: proxy, target: "${backend.url}", ip_filter: { deny: ["127.0.0.1"] } }`,
      ].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('deny wins over allow; the refused client never reaches the backend', async () => {
    const before = backend.received.length;
    expect(await from('127.0.0.1', `${prox.baseUrl}/office/a`)).toEqual({ status: 200, body: 'backend saw /office/a' });
    const refused = await from('127.0.0.2', `${prox.baseUrl}/office/b`);
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.body)).toEqual({ error: 'forbidden_address', status: 403 });
    expect(backend.received.slice(before).map((r) => r.url)).toEqual(['/office/a']);
  });

  it("answers 403 with the route's error page outside allow", async () => {
    expect((await from('127.0.0.1', `${prox.baseUrl}/only-one`)).status).toBe(200);
    expect(await from('127.0.0.2', `${prox.baseUrl}/only-one`)).toEqual({ status: 403, body: 'not from here' });
  });

  it('judges the X-Forwarded-For client only when a trusted proxy relays it', async () => {
    const url = `${prox.baseUrl}/partners/x`;
    expect((await from('127.0.0.3', url, '-H', 'X-Forwarded-For: 203.0.113.9')).status).toBe(200);
    expect((await from('127.0.0.3', url, '-H', 'X-Forwarded-For: 198.51.100.1')).status).toBe(403);
    // The same header from an untrusted client is not believed: it is judged as 127.0.0.1.
    expect((await from('127.0.0.1', url, '-H', 'X-Forwarded-For: 203.0.113.9')).status).toBe(403);
    // Forged entries left of the trusted proxy's are never reached.
    expect((await from('127.0.0.3', url, '-H', 'X-Forwarded-For: 203.0.113.9, 198.51.100.1')).status).toBe(403);
  });

  it('applies to static routes', async () => {
    expect(await from('127.0.0.1', `${prox.baseUrl}/files/`)).toEqual({ status: 200, body: 'static index' });
    expect((await from('127.0.0.2', `${prox.baseUrl}/files/`)).status).toBe(403);
  });

  it('refuses a WebSocket upgrade from a denied address with 403, before any backend contact', async () => {
    const before = backend.received.length;
    const socket = new WebSocket(`ws://127.0.0.1:${prox.port}/ws/chat`, { localAddress: '127.0.0.1' });
    const status = await new Promise<number>((resolve, reject) => {
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => reject(new Error('upgrade was accepted')));
      socket.on('error', reject);
    });
    expect(status).toBe(403);
    expect(backend.received.length).toBe(before);
  });

  it('counts decisions by route and decision', async () => {
    const allowed = await metricValue(prox, '/office', 'allow');
    const denied = await metricValue(prox, '/office', 'deny');
    await from('127.0.0.1', `${prox.baseUrl}/office`);
    await from('127.0.0.2', `${prox.baseUrl}/office`);
    await from('127.0.0.2', `${prox.baseUrl}/office`);
    expect(await metricValue(prox, '/office', 'allow')).toBe(allowed + 1);
    expect(await metricValue(prox, '/office', 'deny')).toBe(denied + 2);
  });
});

describe('ip_filter over TLS (HTTP/2)', () => {
  const authority = 'localhost';
  let backend: TestBackend;
  let prox: ProxProcess;
  let cert: TestCertificate;
  let caPem: Buffer;

  beforeAll(async () => {
    const ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    cert = ca.issue('main', [authority]);
    backend = await startBackend((_req, res) => res.end('ok'));
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        `tls: { cert_path: "${cert.certPath}", key_path: "${cert.keyPath}" }`,
        'routes:',
        `  /in: { type: proxy, target: "${backend.url}", ip_filter: { allow: ["127.0.0.1"] } }`,
        `  /out: { type: proxy, target: "${backend.url}", ip_filter: { deny: ["127.0.0.0/8"] } }`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('admits and refuses h2 streams by client address', async () => {
    const session = await h2Session(prox.port, authority, caPem);
    try {
      const admitted = await h2Request(session, { ':path': '/in', ':authority': authority });
      const refused = await h2Request(session, { ':path': '/out', ':authority': authority });
      expect([admitted.status, admitted.body]).toEqual([200, 'ok']);
      expect([refused.status, JSON.parse(refused.body)]).toEqual([403, { error: 'forbidden_address', status: 403 }]);
    } finally {
      session.close();
    }
  });
});
