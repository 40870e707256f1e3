import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa } from '../support/certificates';
import { peakRssBytes, startProx, type ProxProcess } from '../support/prox-process';
import { curl, h2Session } from '../support/tls-clients';
import { describeEachEngine } from '../support/engines';

/**
 * Response compression against a real prox on both inbound engines, decoded by real clients
 * (curl --compressed, node:zlib) and compared byte for byte with what the backend sent.
 */

const ENGINES = ['uws', 'node', 'llhttp'] as const;
/** Node 20 has no zstd in zlib; prox then falls back to the next coding the client accepts. */
const HAS_ZSTD = typeof (zlib as unknown as { zstdDecompressSync?: unknown }).zstdDecompressSync === 'function';

/** Compressible text, different on every line so the codecs have work to do. */
function textBody(bytes: number): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < bytes; i++) {
    const line = `line ${i}: the quick brown fox ${(i * 7919) % 10007} jumps over the lazy dog\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

const BODY = textBody(200_000);

interface RawAnswer {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

async function fetchRaw(url: string, headers: Record<string, string>, method = 'GET'): Promise<RawAnswer> {
  const req = httpRequest(url, { method, headers, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

function decode(coding: string | undefined, body: Buffer): Buffer {
  switch (coding) {
    case 'gzip':
      return zlib.gunzipSync(body);
    case 'br':
      return zlib.brotliDecompressSync(body);
    case 'zstd':
      return (zlib as unknown as { zstdDecompressSync(b: Buffer): Buffer }).zstdDecompressSync(body);
    case undefined:
      return body;
    default:
      throw new Error(`unexpected coding ${coding}`);
  }
}

function backendHandler(req: IncomingMessage, res: import('node:http').ServerResponse): void {
  const path = req.url ?? '/';
  if (path.startsWith('/c/text')) {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', etag: '"v1"', 'content-length': String(BODY.length) });
    return void res.end(BODY);
  }
  if (path.startsWith('/c/chunked')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 10; i++) res.write(BODY.subarray(i * 20_000, (i + 1) * 20_000));
    return void res.end();
  }
  if (path.startsWith('/c/encoded')) {
    const gz = zlib.gzipSync(BODY);
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
    return void res.end(gz);
  }
  if (path.startsWith('/c/no-transform')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, no-transform' });
    return void res.end(BODY);
  }
  if (path.startsWith('/c/small')) {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '5' });
    return void res.end('small');
  }
  if (path.startsWith('/c/png')) {
    res.writeHead(200, { 'content-type': 'image/png' });
    return void res.end(BODY);
  }
  if (path.startsWith('/c/empty')) {
    res.writeHead(204);
    return void res.end();
  }
  if (path.startsWith('/c/not-modified')) {
    res.writeHead(304, { etag: '"v1"', 'content-type': 'text/plain' });
    return void res.end();
  }
  if (path.startsWith('/c/large')) {
    // 256 MiB streamed (chunked) as fast as prox takes it: a buffering prox would hold it all.
    res.writeHead(200, { 'content-type': 'text/plain' });
    const piece = textBody(1024 * 1024);
    let left = 256;
    const pump = (): void => {
      while (left > 0) {
        left--;
        if (!res.write(piece)) return void res.once('drain', pump);
      }
      res.end();
    };
    return pump();
  }
  res.writeHead(404);
  res.end();
}

describeEachEngine(ENGINES, 'compression on %s', (engine) => {
  let backend: TestBackend;
  let prox: ProxProcess;
  let root: string;

  beforeAll(async () => {
    backend = await startBackend(backendHandler);
    root = mkdtempSync(join(tmpdir(), 'prox-gz-'));
    writeFileSync(join(root, 'app.js'), BODY);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  /c: { type: proxy, target: "${backend.url}", compression: { algorithms: [zstd, br, gzip] } }`,
        `  /plain: { type: proxy, target: "${backend.url}", path_rewrite: /c }`,
        `  /files: { type: static, root: "${root}", compression: { algorithms: [gzip] } }`,
      ].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('curl --compressed gets the body back byte for byte', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'prox-gz-out-')), 'body');
    const result = await curl(['--compressed', '-o', out, '-D', '-', `${prox.baseUrl}/c/text`]);
    expect(result.code).toBe(0);
    expect(result.stdout.toLowerCase()).toMatch(/content-encoding: (zstd|br|gzip)/);
    expect(readFileSync(out).equals(BODY)).toBe(true);
  });

  it.each([
    ['gzip', 'gzip'],
    ['br', 'br'],
    ['zstd, gzip', HAS_ZSTD ? 'zstd' : 'gzip'],
    ['gzip;q=1, br;q=0.5', 'gzip'],
    ['br;q=0.2, gzip;q=0.2', 'br'],
    ['*', HAS_ZSTD ? 'zstd' : 'br'],
  ])('Accept-Encoding %s answers %s, decoded byte for byte', async (accept, expected) => {
    for (const path of ['/c/text', '/c/chunked']) {
      const answer = await fetchRaw(`${prox.baseUrl}${path}`, { 'accept-encoding': accept });
      expect(answer.status).toBe(200);
      expect(answer.headers['content-encoding']).toBe(expected);
      expect(answer.headers['content-length']).toBeUndefined();
      expect(answer.headers.vary).toMatch(/accept-encoding/i);
      expect(answer.body.length).toBeLessThan(BODY.length / 2);
      expect(decode(expected, answer.body).equals(BODY)).toBe(true);
    }
  });

  it('weakens the ETag of a compressed answer and keeps it strong on identity', async () => {
    expect((await fetchRaw(`${prox.baseUrl}/c/text`, { 'accept-encoding': 'gzip' })).headers.etag).toBe('W/"v1"');
    const identity = await fetchRaw(`${prox.baseUrl}/c/text`, {});
    expect(identity.headers.etag).toBe('"v1"');
    expect(identity.headers['content-encoding']).toBeUndefined();
    expect(identity.headers.vary).toMatch(/accept-encoding/i);
    expect(identity.body.equals(BODY)).toBe(true);
  });

  it('answers identity when the client refuses every offered coding', async () => {
    const answer = await fetchRaw(`${prox.baseUrl}/c/text`, { 'accept-encoding': 'gzip;q=0, br;q=0, deflate' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.body.equals(BODY)).toBe(true);
  });

  it.each([
    ['already encoded', '/c/encoded', 'gzip'],
    ['Cache-Control: no-transform', '/c/no-transform', undefined],
    ['smaller than min_bytes', '/c/small', undefined],
    ['a type not listed', '/c/png', undefined],
  ])('leaves a response %s untouched', async (_what, path, coding) => {
    const direct = await fetchRaw(`${backend.url}${path}`, { 'accept-encoding': 'gzip' });
    const answer = await fetchRaw(`${prox.baseUrl}${path}`, { 'accept-encoding': 'gzip, br' });
    expect(answer.headers['content-encoding']).toBe(coding);
    expect(answer.body.equals(direct.body)).toBe(true);
  });

  it('does not compress HEAD, 204 or 304', async () => {
    const head = await fetchRaw(`${prox.baseUrl}/c/text`, { 'accept-encoding': 'gzip' }, 'HEAD');
    expect(head.headers['content-encoding']).toBeUndefined();
    expect(head.headers['content-length']).toBe(String(BODY.length));
    for (const [path, status] of [['/c/empty', 204], ['/c/not-modified', 304]] as const) {
      const answer = await fetchRaw(`${prox.baseUrl}${path}`, { 'accept-encoding': 'gzip' });
      expect(answer.status).toBe(status);
      expect(answer.headers['content-encoding']).toBeUndefined();
      expect(answer.body.length).toBe(0);
    }
  });

  it('leaves routes without compression alone', async () => {
    const answer = await fetchRaw(`${prox.baseUrl}/plain/text`, { 'accept-encoding': 'gzip' });
    expect(answer.headers['content-encoding']).toBeUndefined();
    expect(answer.headers.vary).toBeUndefined();
    expect(answer.body.equals(BODY)).toBe(true);
  });

  it('compresses static files, but not byte ranges of them', async () => {
    const whole = await fetchRaw(`${prox.baseUrl}/files/app.js`, { 'accept-encoding': 'gzip' });
    expect(whole.headers['content-encoding']).toBe('gzip');
    expect(whole.headers.etag).toMatch(/^W\//);
    expect(zlib.gunzipSync(whole.body).equals(BODY)).toBe(true);
    const range = await fetchRaw(`${prox.baseUrl}/files/app.js`, { 'accept-encoding': 'gzip', range: 'bytes=0-99' });
    expect(range.status).toBe(206);
    expect(range.headers['content-encoding']).toBeUndefined();
    expect(range.body.equals(BODY.subarray(0, 100))).toBe(true);
  });

  it('streams a large response compressed with flat memory', async () => {
    const req = httpRequest(`${prox.baseUrl}/c/large`, { headers: { 'accept-encoding': 'gzip' }, agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    expect(res.headers['content-encoding']).toBe('gzip');
    const expected = createHash('sha256');
    const piece = textBody(1024 * 1024);
    for (let i = 0; i < 256; i++) expected.update(piece);
    const actual = createHash('sha256');
    let decoded = 0;
    const gunzip = zlib.createGunzip();
    gunzip.on('data', (chunk: Buffer) => {
      decoded += chunk.length;
      actual.update(chunk);
    });
    res.pipe(gunzip);
    await once(gunzip, 'end');
    expect(decoded).toBe(256 * 1024 * 1024);
    expect(actual.digest('hex')).toBe(expected.digest('hex'));
    // A prox that buffered the body would hold 256 MiB; streaming keeps it near its idle size.
    expect(peakRssBytes(prox.child.pid!)).toBeLessThan(200 * 1024 * 1024);
    // 256 MiB through gzip takes a while on a loaded 2-core machine: a bound, not a speed claim.
  }, 300_000);
});

describe('compression over TLS (HTTP/2)', () => {
  const authority = 'localhost';
  let backend: TestBackend;
  let prox: ProxProcess;
  let caPem: Buffer;

  beforeAll(async () => {
    const ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    const cert = ca.issue('main', [authority]);
    backend = await startBackend(backendHandler);
    prox = await startProx(
      ['listen_addr: "127.0.0.1:0"', `tls: { cert_path: "${cert.certPath}", key_path: "${cert.keyPath}" }`, 'routes:', `  /c: { type: proxy, target: "${backend.url}", compression: {} }`].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('compresses an h2 response, decoded byte for byte', async () => {
    const session = await h2Session(prox.port, authority, caPem);
    try {
      const stream = session.request({ ':path': '/c/chunked', ':authority': authority, 'accept-encoding': 'br' });
      const [headers] = (await once(stream, 'response')) as [Record<string, string>];
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(headers['content-encoding']).toBe('br');
      expect(zlib.brotliDecompressSync(Buffer.concat(chunks)).equals(BODY)).toBe(true);
    } finally {
      session.close();
    }
  });
});
