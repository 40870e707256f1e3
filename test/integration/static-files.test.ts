import { once } from 'node:events';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { request as httpRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { pollUntil } from '../support/backends';
import { rawRequest } from '../support/raw-client';
import { peakRssBytes, ProxProcess, startProx, withTestAdmin } from '../support/prox-process';

interface BytesResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

async function get(url: string, headers: OutgoingHttpHeaders = {}, method = 'GET'): Promise<BytesResponse> {
  const req = httpRequest(url, { method, headers, agent: false });
  req.end();
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}

/** Deterministic bytes, so a range can be compared with the same slice of the file. */
function patternBytes(size: number): Buffer {
  const bytes = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff;
  return bytes;
}

const SECRET = 'TOP SECRET outside the root';
const BIG = patternBytes(3 * 1024 * 1024 + 17);
const APP_JS = Buffer.from('console.log("hello from app.js");\n'.repeat(50));
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0xff, 0x00]);

function buildSite(): { base: string; site: string; spa: string } {
  const base = mkdtempSync(join(tmpdir(), 'prox-static-'));
  const site = join(base, 'site');
  const outside = join(base, 'outside');
  const spa = join(base, 'spa');
  for (const dir of [site, outside, spa, join(site, 'docs'), join(site, 'empty'), join(site, '%2e%2e'), join(spa, 'assets')]) mkdirSync(dir, { recursive: true });
  writeFileSync(join(outside, 'secret.txt'), SECRET);
  writeFileSync(join(site, 'index.html'), '<!doctype html><h1>home</h1>');
  writeFileSync(join(site, 'style.css'), 'body { color: red; }');
  writeFileSync(join(site, 'data.json'), '{"ok":true}');
  writeFileSync(join(site, 'logo.png'), PNG);
  writeFileSync(join(site, 'app.js'), APP_JS);
  writeFileSync(join(site, 'app.js.br'), brotliCompressSync(APP_JS));
  writeFileSync(join(site, 'app.js.gz'), gzipSync(APP_JS));
  writeFileSync(join(site, 'big.bin'), BIG);
  writeFileSync(join(site, '.env'), 'DB_PASSWORD=hunter2');
  writeFileSync(join(site, 'docs', 'index.html'), '<h1>docs</h1>');
  writeFileSync(join(site, '%2e%2e', 'marker.txt'), 'literal percent directory');
  symlinkSync(join(outside, 'secret.txt'), join(site, 'escape.txt'));
  symlinkSync(outside, join(site, 'escape-dir'));
  symlinkSync(join(site, 'style.css'), join(site, 'alias.css'));
  writeFileSync(join(spa, 'index.html'), '<div id="app"></div>');
  writeFileSync(join(spa, 'assets', 'main.js'), 'boot()');
  return { base, site, spa };
}

describe('static files (real prox, real files)', () => {
  let prox: ProxProcess;
  let paths: ReturnType<typeof buildSite>;

  beforeAll(async () => {
    paths = buildSite();
    prox = await startProx(`listen_addr: "127.0.0.1:0"
access_log: { enabled: false }
routes:
  "/static":
    type: static
    root: "${paths.site}"
    precompressed: true
    cache_control: "public, max-age=60"
  "/spa":
    type: static
    root: "${paths.spa}"
    fallback: /index.html
`);
  });

  afterAll(async () => {
    await prox.stop();
  });

  describe('serving', () => {
    it.each([
      ['/static/index.html', 'text/html; charset=utf-8', '<!doctype html><h1>home</h1>'],
      ['/static/style.css', 'text/css; charset=utf-8', 'body { color: red; }'],
      ['/static/data.json', 'application/json; charset=utf-8', '{"ok":true}'],
      ['/static/alias.css', 'text/css; charset=utf-8', 'body { color: red; }'],
      // Decoded exactly once: `%252e%252e` names the directory literally called `%2e%2e`.
      ['/static/%252e%252e/marker.txt', 'text/plain; charset=utf-8', 'literal percent directory'],
    ])('GET %s → 200 %s with the exact bytes', async (path, type, body) => {
      const response = await get(prox.baseUrl + path);
      expect(response.status).toBe(200);
      expect(response.headers['content-type']).toBe(type);
      expect(response.headers['content-length']).toBe(String(Buffer.byteLength(body)));
      expect(response.headers['accept-ranges']).toBe('bytes');
      expect(response.headers['cache-control']).toBe('public, max-age=60');
      expect(response.headers['etag']).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
      expect(Date.parse(String(response.headers['last-modified']))).toBeGreaterThan(0);
      expect(response.body.toString()).toBe(body);
    });

    it('serves binary files byte for byte', async () => {
      const png = await get(`${prox.baseUrl}/static/logo.png`);
      expect(png.headers['content-type']).toBe('image/png');
      expect(png.body.equals(PNG)).toBe(true);
      const big = await get(`${prox.baseUrl}/static/big.bin`);
      expect(big.headers['content-type']).toBe('application/octet-stream');
      expect(big.headers['content-length']).toBe(String(BIG.length));
      expect(big.body.equals(BIG)).toBe(true);
    });

    it('answers HEAD with the headers of GET and no body', async () => {
      const response = await get(`${prox.baseUrl}/static/big.bin`, {}, 'HEAD');
      expect(response.status).toBe(200);
      expect(response.headers['content-length']).toBe(String(BIG.length));
      expect(response.body.length).toBe(0);
    });

    it('serves index.html for a directory and 301-redirects the slash-less form like nginx', async () => {
      const index = await get(`${prox.baseUrl}/static/docs/`);
      expect([index.status, index.body.toString()]).toEqual([200, '<h1>docs</h1>']);
      const root = await get(`${prox.baseUrl}/static/`);
      expect(root.body.toString()).toBe('<!doctype html><h1>home</h1>');
      const redirect = await get(`${prox.baseUrl}/static/docs?x=1`);
      expect(redirect.status).toBe(301);
      expect(redirect.headers['location']).toBe('/static/docs/?x=1');
      const prefix = await get(`${prox.baseUrl}/static`);
      expect([prefix.status, prefix.headers['location']]).toEqual([301, '/static/']);
    });

    it('never lists a directory without an index', async () => {
      const response = await get(`${prox.baseUrl}/static/empty/`);
      expect(response.status).toBe(404);
      expect(JSON.parse(response.body.toString())).toEqual({ error: 'not_found', status: 404 });
    });

    it('answers 404 not_found for a missing file', async () => {
      const response = await get(`${prox.baseUrl}/static/nope.txt`);
      expect(response.status).toBe(404);
      expect(response.headers['content-type']).toBe('application/json');
      expect(JSON.parse(response.body.toString())).toEqual({ error: 'not_found', status: 404 });
    });

    it('answers 405 with Allow: GET, HEAD for other methods', async () => {
      for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
        const response = await get(`${prox.baseUrl}/static/index.html`, {}, method);
        expect([method, response.status, response.headers['allow']]).toEqual([method, 405, 'GET, HEAD']);
        expect(JSON.parse(response.body.toString())).toEqual({ error: 'method_not_allowed', status: 405 });
      }
    });
  });

  describe('conditional requests and ranges', () => {
    it('answers 304 to If-None-Match and to If-Modified-Since, If-None-Match taking precedence', async () => {
      const first = await get(`${prox.baseUrl}/static/style.css`);
      const etag = String(first.headers['etag']);
      const lastModified = String(first.headers['last-modified']);
      const byTag = await get(`${prox.baseUrl}/static/style.css`, { 'if-none-match': etag });
      expect([byTag.status, byTag.body.length, byTag.headers['etag'], byTag.headers['cache-control']]).toEqual([304, 0, etag, 'public, max-age=60']);
      const byDate = await get(`${prox.baseUrl}/static/style.css`, { 'if-modified-since': lastModified });
      expect(byDate.status).toBe(304);
      const tagWins = await get(`${prox.baseUrl}/static/style.css`, { 'if-none-match': '"stale"', 'if-modified-since': lastModified });
      expect([tagWins.status, tagWins.body.toString()]).toEqual([200, 'body { color: red; }']);
    });

    it('answers 412 when If-Match or If-Unmodified-Since fails, and serves when they hold', async () => {
      const first = await get(`${prox.baseUrl}/static/style.css`);
      const etag = String(first.headers['etag']);
      const stale = await get(`${prox.baseUrl}/static/style.css`, { 'if-match': '"stale"' });
      expect([stale.status, JSON.parse(stale.body.toString())]).toEqual([412, { error: 'precondition_failed', status: 412 }]);
      const current = await get(`${prox.baseUrl}/static/style.css`, { 'if-match': etag });
      expect([current.status, current.body.toString()]).toEqual([200, 'body { color: red; }']);
      const modifiedSince = await get(`${prox.baseUrl}/static/style.css`, { 'if-unmodified-since': 'Mon, 01 Jan 2001 00:00:00 GMT' });
      expect(modifiedSince.status).toBe(412);
      const unmodified = await get(`${prox.baseUrl}/static/style.css`, { 'if-unmodified-since': String(first.headers['last-modified']) });
      expect(unmodified.status).toBe(200);
    });

    it('serves a single range with 206 and the exact slice', async () => {
      const response = await get(`${prox.baseUrl}/static/big.bin`, { range: 'bytes=1000000-1999999' });
      expect(response.status).toBe(206);
      expect(response.headers['content-range']).toBe(`bytes 1000000-1999999/${BIG.length}`);
      expect(response.headers['content-length']).toBe('1000000');
      expect(response.body.equals(BIG.subarray(1000000, 2000000))).toBe(true);
      const suffix = await get(`${prox.baseUrl}/static/big.bin`, { range: 'bytes=-100' });
      expect(suffix.headers['content-range']).toBe(`bytes ${BIG.length - 100}-${BIG.length - 1}/${BIG.length}`);
      expect(suffix.body.equals(BIG.subarray(BIG.length - 100))).toBe(true);
    });

    it('answers 416 with Content-Range: bytes */size to an unsatisfiable range', async () => {
      const response = await get(`${prox.baseUrl}/static/style.css`, { range: 'bytes=5000-' });
      expect(response.status).toBe(416);
      expect(response.headers['content-range']).toBe('bytes */20');
      expect(JSON.parse(response.body.toString())).toEqual({ error: 'range_not_satisfiable', status: 416 });
    });

    it('serves several ranges as the whole file with 200', async () => {
      const response = await get(`${prox.baseUrl}/static/style.css`, { range: 'bytes=0-1,5-6' });
      expect([response.status, response.headers['content-range'], response.body.toString()]).toEqual([200, undefined, 'body { color: red; }']);
    });

    it('honours If-Range: a stale tag gets the whole file', async () => {
      const etag = String((await get(`${prox.baseUrl}/static/style.css`)).headers['etag']);
      const current = await get(`${prox.baseUrl}/static/style.css`, { range: 'bytes=0-3', 'if-range': etag });
      expect([current.status, current.body.toString()]).toEqual([206, 'body']);
      const stale = await get(`${prox.baseUrl}/static/style.css`, { range: 'bytes=0-3', 'if-range': '"old"' });
      expect([stale.status, stale.body.toString()]).toEqual([200, 'body { color: red; }']);
    });
  });

  describe('precompressed siblings', () => {
    it('prefers Brotli, falls back to gzip, honours q=0, and sends Vary', async () => {
      const br = await get(`${prox.baseUrl}/static/app.js`, { 'accept-encoding': 'gzip, deflate, br' });
      expect(br.headers['content-encoding']).toBe('br');
      expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(br.headers['vary']).toBe('Accept-Encoding');
      expect(br.body.equals(brotliCompressSync(APP_JS))).toBe(true);
      const gz = await get(`${prox.baseUrl}/static/app.js`, { 'accept-encoding': 'br;q=0, gzip' });
      expect(gz.headers['content-encoding']).toBe('gzip');
      expect(gz.body.equals(readFileSync(join(paths.site, 'app.js.gz')))).toBe(true);
      expect(gz.headers['etag']).not.toBe(br.headers['etag']);
      const plain = await get(`${prox.baseUrl}/static/app.js`, { 'accept-encoding': 'identity' });
      expect(plain.headers['content-encoding']).toBeUndefined();
      expect(plain.headers['vary']).toBe('Accept-Encoding');
      expect(plain.body.equals(APP_JS)).toBe(true);
      expect(plain.headers['etag']).not.toBe(br.headers['etag']);
    });
  });

  describe('fallback', () => {
    it('serves /index.html for unknown paths and real files as they are', async () => {
      const route = await get(`${prox.baseUrl}/spa/users/42`);
      expect([route.status, route.headers['content-type'], route.body.toString()]).toEqual([200, 'text/html; charset=utf-8', '<div id="app"></div>']);
      const asset = await get(`${prox.baseUrl}/spa/assets/main.js`);
      expect(asset.body.toString()).toBe('boot()');
      const post = await get(`${prox.baseUrl}/spa/users/42`, {}, 'POST');
      expect(post.status).toBe(405);
    });
  });

  describe('path safety (exact bytes on the wire)', () => {
    async function raw(target: string): Promise<{ status: number; text: string }> {
      const { text } = await rawRequest(prox.port, `GET ${target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      return { status: match === null ? 0 : Number(match[1]), text };
    }

    it.each([
      ['dot-dot segments', '/static/../outside/secret.txt'],
      ['dot-dot from deeper', '/static/docs/../../outside/secret.txt'],
      ['encoded dot-dot', '/static/%2e%2e/outside/secret.txt'],
      ['mixed-case encoded dot-dot', '/static/%2E%2e/%2E%2E/outside/secret.txt'],
      ['half-encoded dot-dot', '/static/.%2e/outside/secret.txt'],
      ['encoded slashes', '/static/..%2f..%2foutside%2fsecret.txt'],
      ['an encoded slash inside the root', '/static/docs%2findex.html'],
      ['double-encoded dot-dot (decoded once: a literal name)', '/static/%252e%252e/%252e%252e/outside/secret.txt'],
      ['backslashes', '/static/..\\..\\outside\\secret.txt'],
      ['encoded backslashes', '/static/..%5c..%5coutside%5csecret.txt'],
      ['a symlink pointing outside', '/static/escape.txt'],
      ['a symlinked directory pointing outside', '/static/escape-dir/secret.txt'],
      ['a dotfile', '/static/.env'],
      ['an encoded dotfile', '/static/%2eenv'],
    ])('refuses %s with 404 and never leaks the file', async (_name, target) => {
      const { status, text } = await raw(target);
      expect(status).toBe(404);
      expect(text).not.toContain('TOP SECRET');
      expect(text).not.toContain('hunter2');
    });

    it.each([
      ['an encoded NUL', '/static/index.html%00.png'],
      ['broken percent-encoding', '/static/%zz'],
    ])('refuses %s with 400', async (_name, target) => {
      const { status, text } = await raw(target);
      expect(status).toBe(400);
      expect(text).not.toContain('<h1>');
    });

    it('never serves a request line with a raw NUL', async () => {
      // The HTTP adapter (uWS) does not parse such a request at all; it never reaches a route.
      const { text } = await rawRequest(prox.port, 'GET /static/index.html\0.png HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n', { timeoutMs: 1000 });
      expect(text).not.toMatch(/^HTTP\/1\.1 200/);
      expect(text).not.toContain('<h1>');
    });

    it('never turns //host into a protocol-relative redirect', async () => {
      const { status, text } = await raw('/static//docs');
      expect(status).toBe(301);
      expect(text).toMatch(/\r\nlocation: \/static\/docs\/\r\n/i);
    });
  });

  describe('observation', () => {
    it('writes one access log line per static request, with status and error code', async () => {
      const file = join(paths.base, 'own-access.log');
      const own = await startProx(`listen_addr: "127.0.0.1:0"\naccess_log: { path: "${file}" }\nroutes:\n  "/static": { type: static, root: "${paths.site}" }\n`);
      await get(`${own.baseUrl}/static/style.css?probe=1`);
      await get(`${own.baseUrl}/static/missing.css?probe=2`);
      await get(`${own.baseUrl}/static/big.bin?probe=3`, { range: 'bytes=0-9' });
      expect(await own.stop()).toBe(0);
      const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
      expect(lines.map((line) => [line.path, line.status, line.route, line.error, line.bytes_out])).toEqual([
        ['/static/style.css?probe=1', 200, '/static', null, 20],
        ['/static/missing.css?probe=2', 404, '/static', 'not_found', expect.any(Number)],
        ['/static/big.bin?probe=3', 206, '/static', null, 10],
      ]);
    });
  });

});

describe('static transfers: streaming, descriptors, shutdown, reload', () => {
  const MIB = 1024 * 1024;
  const HUGE_BYTES = 200 * MIB;
  let base: string;
  let huge: string;

  beforeAll(() => {
    base = mkdtempSync(join(tmpdir(), 'prox-static-stream-'));
    mkdirSync(join(base, 'site'));
    mkdirSync(join(base, 'other'));
    writeFileSync(join(base, 'site', 'page.txt'), 'first root');
    writeFileSync(join(base, 'other', 'page.txt'), 'second root');
    huge = join(base, 'site', 'huge.bin');
    const piece = patternBytes(MIB);
    const fd = openSync(huge, 'w');
    for (let written = 0; written < HUGE_BYTES; written += MIB) writeSync(fd, piece);
    closeSync(fd);
  });

  afterAll(() => rmSync(base, { recursive: true, force: true }));

  const config = (root: string, extra = '') => `listen_addr: "127.0.0.1:0"\naccess_log: { enabled: false }\nshutdown_timeout_secs: 30\nroutes:\n  "/files": { type: static, root: "${root}"${extra} }\n`;

  /** Descriptors of the prox process that point at `file`. */
  function descriptorsOn(pid: number, file: string): number {
    let count = 0;
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === file) count++;
      } catch {
        // closed while listing
      }
    }
    return count;
  }

  it('streams a 200 MiB file with peak memory far below its size', async () => {
    const prox = await startProx(config(join(base, 'site')));
    try {
      const before = peakRssBytes(prox.child.pid!);
      const req = httpRequest(`${prox.baseUrl}/files/huge.bin`, { agent: false });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      expect(res.headers['content-length']).toBe(String(HUGE_BYTES));
      let received = 0;
      let firstMismatch = -1;
      const piece = patternBytes(MIB);
      for await (const chunk of res) {
        const bytes = chunk as Buffer;
        if (firstMismatch === -1) {
          for (let i = 0; i < bytes.length; i += 4099) {
            if (bytes[i] !== piece[(received + i) % MIB]) {
              firstMismatch = received + i;
              break;
            }
          }
        }
        received += bytes.length;
      }
      expect(received).toBe(HUGE_BYTES);
      expect(firstMismatch).toBe(-1);
      // Streaming keeps a few chunks in flight (plus garbage not yet collected); reading the file
      // whole would add its 200 MiB. Measured: ~93 MB before, ~130 MB peak.
      expect(peakRssBytes(prox.child.pid!) - before).toBeLessThan(HUGE_BYTES / 2);
      await pollUntil(async () => descriptorsOn(prox.child.pid!, huge) === 0, { what: 'descriptor on huge.bin closed' });
    } finally {
      await prox.stop();
    }
  });

  it('closes the file when clients go away mid-transfer', async () => {
    const prox = await startProx(config(join(base, 'site')));
    try {
      for (let i = 0; i < 5; i++) {
        const req = httpRequest(`${prox.baseUrl}/files/huge.bin`, { agent: false });
        req.on('error', () => undefined);
        req.end();
        const [res] = (await once(req, 'response')) as [IncomingMessage];
        await once(res, 'data');
        res.on('error', () => undefined);
        req.destroy();
      }
      await pollUntil(async () => descriptorsOn(prox.child.pid!, huge) === 0, { what: 'descriptors on huge.bin closed' });
      // Still serving normally afterwards.
      expect((await get(`${prox.baseUrl}/files/page.txt`)).body.toString()).toBe('first root');
    } finally {
      await prox.stop();
    }
  });

  it('graceful shutdown waits for a file transfer to finish', async () => {
    const prox = await startProx(config(join(base, 'site')));
    const req = httpRequest(`${prox.baseUrl}/files/huge.bin`, { agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.pause();
    const draining = prox.nextLog('draining');
    const exit = once(prox.child, 'exit');
    prox.child.kill('SIGTERM');
    expect((await draining).inFlight).toBe(1);
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.length));
    res.resume();
    await once(res, 'end');
    expect(received).toBe(HUGE_BYTES);
    const [code] = await exit;
    expect(code).toBe(0);
    expect(prox.logs.find((line) => line.msg === 'stopped')?.drained).toBe(true);
  });

  it('a reload picks up a changed static route', async () => {
    const prox = await startProx(config(join(base, 'site')));
    try {
      const before = await get(`${prox.baseUrl}/files/page.txt`);
      expect([before.body.toString(), before.headers['cache-control']]).toEqual(['first root', undefined]);
      const reloaded = prox.nextLog('config reloaded');
      writeFileSync(prox.configFile, withTestAdmin(config(join(base, 'other'), ', cache_control: "no-cache"')));
      prox.child.kill('SIGHUP');
      await reloaded;
      const after = await get(`${prox.baseUrl}/files/page.txt`);
      expect([after.body.toString(), after.headers['cache-control']]).toEqual(['second root', 'no-cache']);
    } finally {
      await prox.stop();
    }
  });
});
