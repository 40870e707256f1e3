import { once } from 'node:events';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend, TestBackend } from '../support/backends';
import { headerValues, json, send } from '../support/http-client';
import { peakRssBytes, ProxProcess, runProxCli, startProx, writeTempConfig } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

/**
 * A CI-cheap guard for the node:http server (the one prox uses on Node 22 and 24), run here on
 * whatever Node runs the tests by forcing it with PROX_HTTP_SERVER=node. The whole integration
 * suite can be run against it the same way: `PROX_HTTP_SERVER=node npx jest test/integration`.
 */
const NODE_SERVER = { PROX_HTTP_SERVER: 'node' };

const MIB = 1024 * 1024;
const PIECE = Buffer.alloc(256 * 1024, 'y');
/** 512 MiB pass through each way; prox must stream them, not hold them. */
const TRANSFER_BYTES = 512 * MIB;
const RSS_CEILING_BYTES = 300 * MIB;

let prox: ProxProcess;
let backend: TestBackend;
let staticRoot: string;
let release: () => void = () => undefined;
let held: Promise<void> = Promise.resolve();

beforeAll(async () => {
  staticRoot = mkdtempSync(join(tmpdir(), 'prox-node-http-'));
  writeFileSync(join(staticRoot, 'hello.txt'), 'hello from disk\n');
  backend = await startBackend((req, res) => {
    if (req.url === '/api/no-content') {
      res.writeHead(204);
      res.end();
      return;
    }
    if (req.url === '/api/download') {
      res.writeHead(200, { 'content-length': String(TRANSFER_BYTES) });
      let sent = 0;
      const pump = (): void => {
        while (sent < TRANSFER_BYTES) {
          sent += PIECE.length;
          if (!res.write(PIECE)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
      return;
    }
    if (req.url === '/api/held') {
      void held.then(() => res.end('held and done'));
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => res.end(`${req.method} ${req.url} ${bytes} ${hash.digest('hex')}`));
  });
  prox = await startProx(
    `
listen_addr: "127.0.0.1:0"
limits: { max_header_bytes: 2048, max_headers: 20, max_body_bytes: 1048576 }
routes:
  "/api": { type: proxy, target: "${backend.url}" }
  "/files": { type: static, root: "${staticRoot}" }
  "/limited":
    type: proxy
    target: "${backend.url}"
    rate_limit: { by: ip, requests: 1, period: 1h }
`,
    NODE_SERVER,
  );
});

afterAll(async () => {
  release();
  await prox?.stop();
  await backend?.close();
});

it('is the node:http server (it announces its keep-alive timeout; µWebSockets does not)', async () => {
  const answer = await rawRequest(prox.port, 'GET /api/hello HTTP/1.1\r\nHost: x\r\n\r\n', { untilText: /[0-9a-f]{64}$/ });
  expect(statusCodes(answer.text)).toEqual([200]);
  expect(answer.text).toContain('GET /api/hello 0 ');
  expect(answer.text).toMatch(/\r\nKeep-Alive: timeout=10\r\n/);
});

it('refuses an unknown PROX_HTTP_SERVER value at startup', async () => {
  const file = writeTempConfig(`listen_addr: "127.0.0.1:0"\nadmin: { listen_addr: "127.0.0.1:0" }\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`);
  const result = await runProxCli(['serve', '--config', file], { PROX_HTTP_SERVER: 'nginx' });
  expect(result.code).not.toBe(0);
  expect(result.stdout + result.stderr).toContain('PROX_HTTP_SERVER must be "node", "llhttp" or "uws", got "nginx"');
});

describe('streaming with flow control', () => {
  it('streams a 512 MiB download through with flat memory', async () => {
    const req = httpRequest(`${prox.baseUrl}/api/download`, { agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.headers['content-length']).toBe(String(TRANSFER_BYTES));
    let received = 0;
    for await (const chunk of res) received += (chunk as Buffer).length;
    expect(received).toBe(TRANSFER_BYTES);
    expect(peakRssBytes(prox.child.pid!)).toBeLessThan(RSS_CEILING_BYTES);
  });

  it('streams a 512 MiB chunked upload through with flat memory, bytes intact', async () => {
    const big = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`, NODE_SERVER);
    try {
      const req = httpRequest(`${big.baseUrl}/upload`, { method: 'POST', agent: false });
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      const hash = createHash('sha256');
      for (let sent = 0; sent < TRANSFER_BYTES; sent += PIECE.length) {
        hash.update(PIECE);
        if (!req.write(PIECE)) await once(req, 'drain');
      }
      req.end();
      const [res] = await response;
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect(body).toBe(`POST /upload ${TRANSFER_BYTES} ${hash.digest('hex')}`);
      expect(peakRssBytes(big.child.pid!)).toBeLessThan(RSS_CEILING_BYTES);
    } finally {
      await big.stop();
    }
  });
});

describe('HTTP semantics', () => {
  it('answers HEAD with headers only and 204 without a body', async () => {
    const head = await rawRequest(prox.port, 'HEAD /files/hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusCodes(head.text)).toEqual([200]);
    expect(head.text).toMatch(/\r\ncontent-length: 16\r\n/i);
    expect(head.text.endsWith('\r\n\r\n')).toBe(true);
    const empty = await rawRequest(prox.port, 'GET /api/no-content HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusCodes(empty.text)).toEqual([204]);
    expect(empty.text.endsWith('\r\n\r\n')).toBe(true);
    expect(empty.text).not.toMatch(/transfer-encoding|content-length/i);
  });

  it('answers Expect: 100-continue with 100, then the response', async () => {
    const answer = await rawRequest(
      prox.port,
      'POST /api/expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
    );
    expect(statusCodes(answer.text)).toEqual([100, 200]);
    expect(answer.text).toContain('POST /api/expect 5 ');
  });

  it('refuses an over-limit declared body with 413 and no 100 Continue', async () => {
    const answer = await rawRequest(
      prox.port,
      'POST /api/too-big HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2000000\r\n\r\n',
    );
    expect(statusCodes(answer.text)).toEqual([413]);
    expect(answer.text).toContain('{"error":"payload_too_large","status":413}');
    expect(answer.closedByServer).toBe(true);
  });

  it('refuses a chunked body that grows over the limit with 413 and closes', async () => {
    const piece = 'z'.repeat(64 * 1024);
    const chunks = Array.from({ length: 20 }, () => `${piece.length.toString(16)}\r\n${piece}\r\n`).join('');
    const answer = await rawRequest(prox.port, `POST /api/grows HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`);
    expect(statusCodes(answer.text)).toEqual([413]);
    expect(answer.closedByServer).toBe(true);
  });

  it('answers too many headers and too large a header block with 431', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `x-h${i}: v\r\n`).join('');
    const tooMany = await rawRequest(prox.port, `GET /api/x HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    expect(statusCodes(tooMany.text)).toEqual([431]);
    expect(tooMany.text).toContain('{"error":"request_header_fields_too_large","status":431}');
    const huge = await rawRequest(prox.port, `GET /api/x HTTP/1.1\r\nHost: x\r\nx-big: ${'b'.repeat(20_000)}\r\n\r\n`);
    expect(statusCodes(huge.text)).toEqual([431]);
    expect(huge.closedByServer).toBe(true);
  });

  it('answers a malformed request with prox JSON 400 and closes', async () => {
    const answer = await rawRequest(prox.port, 'GET /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n');
    expect(statusCodes(answer.text)).toEqual([400]);
    expect(answer.text).toContain('{"error":"bad_request","status":400}');
    expect(answer.closedByServer).toBe(true);
  });

  it('answers Connection: close with exactly one Connection: close, and serves nothing pipelined after it', async () => {
    const answer = await rawRequest(
      prox.port,
      'GET /api/first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /api/pipelined-after-close HTTP/1.1\r\nHost: x\r\n\r\n',
    );
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text.match(/\r\nConnection: close\r\n/gi)).toHaveLength(1);
    expect(answer.closedByServer).toBe(true);
    // Barrier: a later request has been served, so the pipelined one would have arrived by now.
    expect((await send(`${prox.baseUrl}/api/barrier`)).status).toBe(200);
    expect(backend.received.map((r) => r.url)).not.toContain('/api/pipelined-after-close');
  });

  it('serves a static file and rate-limit headers', async () => {
    const file = await send(`${prox.baseUrl}/files/hello.txt`);
    expect(file.status).toBe(200);
    expect(file.body).toBe('hello from disk\n');
    const allowed = await send(`${prox.baseUrl}/limited/a`);
    expect(allowed.status).toBe(200);
    expect(headerValues(allowed.rawHeaders, 'ratelimit-policy')).toEqual(['"default";q=1;w=3600']);
    const refused = await send(`${prox.baseUrl}/limited/b`);
    expect(refused.status).toBe(429);
    expect(json(refused)).toEqual({ error: 'rate_limited', status: 429 });
    expect(headerValues(refused.rawHeaders, 'retry-after')).toHaveLength(1);
  });

  it('gives the backend the client address as IPv4 text in X-Forwarded-For', async () => {
    const answer = await send(`${prox.baseUrl}/api/xff`);
    expect(answer.status).toBe(200);
    const seen = backend.received.find((r) => r.url === '/api/xff')!;
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
  });
});

it('drains an in-flight request on SIGTERM, refusing new connections meanwhile', async () => {
  held = new Promise((resolve) => (release = resolve));
  const own = await startProx(`listen_addr: "127.0.0.1:0"\nshutdown_timeout_secs: 30\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`, NODE_SERVER);
  const arrivedBefore = backend.received.filter((r) => r.url === '/api/held').length;
  const inFlight = send(`${own.baseUrl}/api/held`);
  await pollBackend(() => backend.received.filter((r) => r.url === '/api/held').length > arrivedBefore);
  const draining = own.nextLog('draining');
  const exit = once(own.child, 'exit');
  own.child.kill('SIGTERM');
  expect((await draining).inFlight).toBe(1);
  await expect(send(`${own.baseUrl}/api/late`)).rejects.toThrow(/ECONNREFUSED/);
  release();
  const response = await inFlight;
  expect(response.status).toBe(200);
  expect(response.body).toBe('held and done');
  expect((await exit)[0]).toBe(0);
});

/** Resolves once `done` holds, checking after each request the backend receives. */
function pollBackend(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (!done()) return;
      backend.server.off('request', check);
      resolve();
    };
    backend.server.on('request', check);
    check();
  });
}
