import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { request as httpsRequest, Agent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { echoHandler, startBackend, type TestBackend } from '../support/backends';
import { makeTestCa, type TestCa, type TestCertificate } from '../support/certificates';
import { startProx, type ProxProcess } from '../support/prox-process';
import { h2Request, h2Session, servedCertificate, sClient } from '../support/tls-clients';

function installPair(dir: string, pair: TestCertificate): void {
  // Key first, then certificate, as renewal tools do; the debounced watch sees the pair whole.
  copyFileSync(pair.keyPath, join(dir, 'key.pem'));
  copyFileSync(pair.certPath, join(dir, 'cert.pem'));
}

function httpsGet(port: number, agent: Agent, ca: Buffer, path: string): Promise<{ status: number; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername: 'swap.test', path, agent, ca, headers: { host: 'swap.test' } }, (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: req.reusedSocket }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('certificate hot swap', () => {
  let ca: TestCa;
  let caPem: Buffer;
  let first: TestCertificate;
  let second: TestCertificate;
  let stranger: TestCertificate;
  let dir: string;
  let backend: TestBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    first = ca.issue('first', ['swap.test']);
    second = ca.issue('second', ['swap.test']);
    stranger = ca.issue('stranger', ['swap.test']);
    dir = mkdtempSync(join(tmpdir(), 'prox-swap-'));
    installPair(dir, first);
    backend = await startBackend(echoHandler);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        `tls: { cert_path: "${join(dir, 'cert.pem')}", key_path: "${join(dir, 'key.pem')}" }`,
        'access_log: { enabled: false }',
        'routes:',
        `  "/": { type: proxy, target: "${backend.url}" }`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  const serial = async (): Promise<string> => (await servedCertificate(prox.port, 'swap.test', caPem)).serialNumber;
  const serialOf = (pair: TestCertificate): string => new X509Certificate(readFileSync(pair.certPath)).serialNumber;

  it('serves a renewed pair to new handshakes while open h1 and h2 connections keep working', async () => {
    expect(await serial()).toBe(serialOf(first));
    const session = await h2Session(prox.port, 'swap.test', caPem);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      expect((await h2Request(session, { ':path': '/before' })).status).toBe(200);
      expect((await httpsGet(prox.port, agent, caPem, '/before')).status).toBe(200);

      const reloaded = prox.nextLog('certificates reloaded');
      installPair(dir, second);
      await reloaded;
      expect(await serial()).toBe(serialOf(second));

      // The connections opened before the swap carry on.
      expect((await h2Request(session, { ':path': '/after' })).status).toBe(200);
      const h1 = await httpsGet(prox.port, agent, caPem, '/after');
      expect(h1).toEqual({ status: 200, reused: true });
    } finally {
      session.close();
      agent.destroy();
    }
  });

  it('rejects a broken pair with a logged error and keeps serving the one in use', async () => {
    const before = await serial();
    const rejected = prox.nextLog('certificate reload rejected; the certificates in use stay');
    // A certificate with somebody else's key.
    copyFileSync(stranger.certPath, join(dir, 'cert.pem'));
    const line = await rejected;
    expect(String(line.error)).toMatch(/does not belong to the certificate/);
    expect(await serial()).toBe(before);
    const restored = prox.nextLog('certificates reloaded');
    copyFileSync(stranger.keyPath, join(dir, 'key.pem'));
    await restored;
    expect(await serial()).toBe(serialOf(stranger));
  });

  it('swaps on a config reload that points tls at other files', async () => {
    const reloaded = prox.nextLog('config reloaded');
    const text = readFileSync(prox.configFile, 'utf8').replace(/tls: \{[^\n]*\}/, `tls: { cert_path: "${first.certPath}", key_path: "${first.keyPath}" }`);
    writeFileSync(prox.configFile, text);
    await reloaded;
    expect(await serial()).toBe(serialOf(first));
  });
});

describe('TLS without a default certificate', () => {
  let ca: TestCa;
  let caPem: Buffer;
  let prox: ProxProcess;

  beforeAll(async () => {
    ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    const only = ca.issue('only', ['known.test']);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        `tls: { certificates: [{ cert_path: "${only.certPath}", key_path: "${only.keyPath}" }] }`,
        'routes:',
        '  "/": { type: redirect, target: "/elsewhere" }',
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
  });

  it('fails the handshake cleanly for unknown names and clients without SNI, and keeps running', async () => {
    await expect(servedCertificate(prox.port, 'unknown.test', caPem)).rejects.toThrow();
    await expect(servedCertificate(prox.port, null, caPem)).rejects.toThrow();
    const refused = await sClient(['-connect', `127.0.0.1:${prox.port}`, '-servername', 'unknown.test', '-alpn', 'h2']);
    expect(refused.stdout + refused.stderr).toMatch(/alert|handshake failure|errno|error/i);
    expect((await servedCertificate(prox.port, 'known.test', caPem)).subject.CN).toBe('known.test');
    expect(prox.child.exitCode).toBeNull();
    const metrics = await (await fetch(`${prox.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/prox_tls_handshake_failures_total\{reason="unknown_server_name"\} [2-9]/);
  });
});

describe('graceful shutdown over HTTP/2', () => {
  it('sends GOAWAY and lets an open stream finish', async () => {
    const ca = makeTestCa();
    const caPem = readFileSync(ca.certPath);
    const cert = ca.issue('main', ['main.test']);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived: () => void = () => undefined;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const backend = await startBackend((req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      arrived();
      void held.then(() => res.end('finished'));
    });
    const prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        `tls: { cert_path: "${cert.certPath}", key_path: "${cert.keyPath}" }`,
        'shutdown_timeout_secs: 30',
        'routes:',
        `  "/": { type: proxy, target: "${backend.url}" }`,
      ].join('\n'),
    );
    const session = await h2Session(prox.port, 'main.test', caPem);
    try {
      const pending = h2Request(session, { ':path': '/slow' });
      await arrival;
      const goaway = once(session, 'goaway');
      prox.child.kill('SIGTERM');
      await goaway;
      release();
      const answer = await pending;
      expect(answer).toMatchObject({ status: 200, body: 'finished' });
      const [code] = (await once(prox.child, 'exit')) as [number];
      expect(code).toBe(0);
    } finally {
      session.destroy();
      await prox.stop();
      await backend.close();
    }
  });
});

describe('TLS with workers: 2', () => {
  it('terminates TLS in every worker, and every worker swaps the certificate', async () => {
    const ca = makeTestCa();
    const caPem = readFileSync(ca.certPath);
    const first = ca.issue('first', ['workers.test']);
    const second = ca.issue('second', ['workers.test']);
    const dir = mkdtempSync(join(tmpdir(), 'prox-workers-tls-'));
    installPair(dir, first);
    const backend = await startBackend(echoHandler);
    const prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'workers: 2',
        'access_log: { enabled: false }',
        `tls: { cert_path: "${join(dir, 'cert.pem')}", key_path: "${join(dir, 'key.pem')}" }`,
        'routes:',
        `  "/": { type: proxy, target: "${backend.url}" }`,
      ].join('\n'),
    );
    try {
      const ready = prox.logs.some((line) => line.msg === 'workers ready') ? null : prox.nextLog('workers ready');
      await ready;
      // New connections each time: the kernel spreads them over the workers (and the supervisor, which passes its share on).
      for (let i = 0; i < 20; i++) {
        const session = await h2Session(prox.port, 'workers.test', caPem);
        expect((await h2Request(session, { ':path': `/w${i}` })).status).toBe(200);
        session.close();
      }
      // Lines can arrive several per chunk: count from the log, waiting for each new line.
      const reloadedBy = (): Set<unknown> => new Set(prox.logs.filter((line) => line.msg === 'certificates reloaded').map((line) => line.worker));
      const bothReloaded = (async () => {
        while (reloadedBy().size < 2) await prox.nextLog('certificates reloaded');
      })();
      installPair(dir, second);
      await bothReloaded;
      expect([...reloadedBy()].sort()).toEqual([1, 2]);
      const serialOf = (pair: TestCertificate): string => new X509Certificate(readFileSync(pair.certPath)).serialNumber;
      for (let i = 0; i < 6; i++) expect((await servedCertificate(prox.port, 'workers.test', caPem)).serialNumber).toBe(serialOf(second));
    } finally {
      await prox.stop();
      await backend.close();
    }
  }, 120_000);
});
