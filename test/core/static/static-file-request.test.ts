import { ZlibResponseCompressor } from '../../../src/adapters/compression/zlib-compressor';
import type { StaticRoute } from '../../../src/config/model';
import type { RequestRecord } from '../../../src/ports/request-observer';
import { ProxyPipeline } from '../../../src/core/proxy-pipeline';
import { RequestIdGenerator } from '../../../src/core/request-id';
import { validatorsFor } from '../../../src/core/static/validators';
import type { InboundRequest } from '../../../src/ports/http-server';
import { FakeFileSystem } from '../support/fake-file-system';
import { FakeExchange, FakeUpstreamClient, inboundRequest, RecordingLogger } from '../support/fakes';
import { flushMicrotasks } from '../support/microtasks';
import { compileHarness, config, staticRoute } from '../support/route-builders';
import { SeededRandom } from '../support/seeded-random';

const MTIME = Date.UTC(2024, 0, 2, 3, 4, 5);

function setup(options: Partial<StaticRoute> = {}, files = new FakeFileSystem()) {
  const records: RequestRecord[] = [];
  const observer = { requestCompleted: (r: RequestRecord) => records.push({ ...r }), upstreamAttempted: () => undefined, retried: () => undefined };
  const harness = compileHarness(new SeededRandom(1));
  const logger = new RecordingLogger();
  const pipeline = new ProxyPipeline(harness.compile(config([staticRoute('/files', { root: '/srv/www', ...options })])), {
    upstreams: new FakeUpstreamClient(),
    compressor: new ZlibResponseCompressor(),
    clock: harness.clock,
    logger,
    observer,
    requestIds: new RequestIdGenerator(new SeededRandom(7)),
    files,
  });
  const send = async (request: Partial<InboundRequest>): Promise<FakeExchange> => {
    const exchange = new FakeExchange(inboundRequest({ method: 'GET', ...request }));
    pipeline.handle(exchange);
    await flushMicrotasks(60);
    return exchange;
  };
  return { pipeline, files, records, send, logger };
}

function header(headers: readonly string[], name: string): string | undefined {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return undefined;
}

function head(exchange: FakeExchange): { status: number; headers: readonly string[] } {
  const event = exchange.events[0];
  if (event === undefined || (event.type !== 'respond' && event.type !== 'startResponse')) throw new Error(`no response: ${exchange.eventTypes().join(',')}`);
  return event;
}

function body(exchange: FakeExchange): string {
  return exchange.events.map((e) => (e.type === 'write' ? Buffer.from(e.chunk).toString('latin1') : '')).join('');
}

function site(): FakeFileSystem {
  return new FakeFileSystem()
    .file('/srv/www/hello.txt', 'hello world', MTIME)
    .file('/srv/www/docs/index.html', '<h1>docs</h1>', MTIME)
    .dir('/srv/www/empty')
    .file('/srv/www/.env', 'SECRET=1')
    .file('/srv/secret.txt', 'outside')
    .symlink('/srv/www/escape.txt', '/srv/secret.txt')
    .symlink('/srv/www/env-link', '/srv/www/.env')
    .symlink('/srv/www/inside-link.txt', '/srv/www/hello.txt')
    .fifo('/srv/www/pipe');
}

describe('static files through the pipeline', () => {
  it('serves a file with its validators, type and length, closes it and is observed once', async () => {
    const { send, files, records, pipeline } = setup({ cacheControl: 'public, max-age=60' }, site());
    const exchange = await send({ path: '/files/hello.txt' });
    expect(exchange.eventTypes()).toEqual(['startResponse', 'write', 'end']);
    const start = exchange.events[0] as unknown as { status: number; headers: string[]; contentLength: number };
    expect(start.status).toBe(200);
    expect(start.contentLength).toBe(11);
    expect(start.headers).toEqual([
      'etag', validatorsFor(11, MTIME, null).etag,
      'last-modified', 'Tue, 02 Jan 2024 03:04:05 GMT',
      'cache-control', 'public, max-age=60',
      'accept-ranges', 'bytes',
      'content-type', 'text/plain; charset=utf-8',
    ]);
    expect(body(exchange)).toBe('hello world');
    expect(files.openNow).toBe(0);
    expect(pipeline.drain.count).toBe(0);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ route: '/files', status: 200, errorCode: null });
  });

  it('answers HEAD with the length and no body', async () => {
    const { send, files } = setup({}, site());
    const exchange = await send({ method: 'HEAD', path: '/files/hello.txt' });
    expect(exchange.eventTypes()).toEqual(['startResponse']);
    expect(exchange.events[0]).toMatchObject({ status: 200, contentLength: 11 });
    expect(files.reads).toEqual([]);
    expect(files.openNow).toBe(0);
  });

  it.each([
    ['a missing file', '/files/nope.txt'],
    ['a dotfile', '/files/.env'],
    ['a symlink out of the root', '/files/escape.txt'],
    ['a symlink to a dotfile', '/files/env-link'],
    ['a FIFO', '/files/pipe'],
    ['a file asked for as a directory', '/files/hello.txt/'],
    ['a directory without index', '/files/empty/'],
    ['an encoded slash', '/files/docs%2findex.html'],
    ['a backslash', '/files/docs\\index.html'],
  ])('answers 404 not_found for %s, with nothing left open', async (_name, path) => {
    const { send, files, records, pipeline } = setup({}, site());
    const exchange = await send({ path });
    expect(exchange.eventTypes()).toEqual(['respond']);
    expect(head(exchange).status).toBe(404);
    expect(exchange.events[0]).toMatchObject({ body: '{"error":"not_found","status":404}' });
    expect(files.openNow).toBe(0);
    expect(pipeline.drain.count).toBe(0);
    expect(records.map((r) => [r.status, r.errorCode])).toEqual([[404, 'not_found']]);
  });

  it('follows a symlink that stays inside the root', async () => {
    const { send } = setup({}, site());
    expect(body(await send({ path: '/files/inside-link.txt' }))).toBe('hello world');
  });

  it('answers 400 for a NUL byte or broken percent-encoding', async () => {
    const { send } = setup({}, site());
    expect(head(await send({ path: '/files/hello.txt%00.png' })).status).toBe(400);
    expect(head(await send({ path: '/files/%e0%a4%a' })).status).toBe(400);
  });

  it('serves index.html for a directory and redirects the slash-less form (query kept, slashes merged)', async () => {
    const { send } = setup({}, site());
    const index = await send({ path: '/files/docs/' });
    expect(head(index).status).toBe(200);
    expect(header(head(index).headers, 'content-type')).toBe('text/html; charset=utf-8');
    expect(body(index)).toBe('<h1>docs</h1>');
    const redirect = await send({ path: '/files//docs', query: 'a=1' });
    expect(redirect.events[0]).toMatchObject({ type: 'respond', status: 301, headers: ['location', '/files/docs/?a=1'], body: null });
  });

  it('tries index names in order', async () => {
    const files = new FakeFileSystem().file('/srv/www/d/default.htm', 'second');
    const { send } = setup({ index: ['index.html', 'default.htm'] }, files);
    expect(body(await send({ path: '/files/d/' }))).toBe('second');
  });

  it('uses the fallback for missing files, not for hidden ones', async () => {
    const files = site().file('/srv/www/index.html', 'app shell');
    const { send } = setup({ fallback: '/index.html' }, files);
    const missing = await send({ path: '/files/some/client/route' });
    expect(head(missing).status).toBe(200);
    expect(header(head(missing).headers, 'content-type')).toBe('text/html; charset=utf-8');
    expect(body(missing)).toBe('app shell');
    expect(head(await send({ path: '/files/.env' })).status).toBe(404);
    expect(head(await send({ path: '/files/escape.txt' })).status).toBe(404);
    expect(files.openNow).toBe(0);
  });

  it('answers 405 with Allow for other methods', async () => {
    const { send, files } = setup({}, site());
    const exchange = await send({ method: 'DELETE', path: '/files/hello.txt' });
    expect(head(exchange)).toMatchObject({ status: 405 });
    expect(header(head(exchange).headers, 'allow')).toBe('GET, HEAD');
    expect(files.opened).toBe(0);
  });

  it('answers 304 to a matching If-None-Match, with validators and no body', async () => {
    const { send, files } = setup({ cacheControl: 'no-cache' }, site());
    const etag = validatorsFor(11, MTIME, null).etag;
    const exchange = await send({ path: '/files/hello.txt', headers: ['if-none-match', etag] });
    expect(exchange.events).toEqual([
      { type: 'respond', status: 304, headers: ['etag', etag, 'last-modified', 'Tue, 02 Jan 2024 03:04:05 GMT', 'cache-control', 'no-cache'], body: null },
    ]);
    expect(files.openNow).toBe(0);
  });

  it('serves one range with 206 and refuses an unsatisfiable one with 416', async () => {
    const { send, files } = setup({}, site());
    const part = await send({ path: '/files/hello.txt', headers: ['range', 'bytes=6-'] });
    expect(head(part)).toMatchObject({ status: 206, contentLength: 5 });
    expect(header(head(part).headers, 'content-range')).toBe('bytes 6-10/11');
    expect(body(part)).toBe('world');
    const refused = await send({ path: '/files/hello.txt', headers: ['range', 'bytes=11-'] });
    expect(head(refused).status).toBe(416);
    expect(header(head(refused).headers, 'content-range')).toBe('bytes */11');
    expect(files.openNow).toBe(0);
  });

  it('prefers the Brotli sibling, keeping the original type, with Vary and its own tag', async () => {
    const files = site()
      .file('/srv/www/app.js', 'plain', MTIME)
      .file('/srv/www/app.js.br', 'BR', MTIME)
      .file('/srv/www/app.js.gz', 'GZ', MTIME);
    const { send } = setup({ precompressed: true }, files);
    const br = await send({ path: '/files/app.js', headers: ['accept-encoding', 'gzip, br'] });
    expect(body(br)).toBe('BR');
    expect(header(head(br).headers, 'content-encoding')).toBe('br');
    expect(header(head(br).headers, 'content-type')).toBe('text/javascript; charset=utf-8');
    expect(header(head(br).headers, 'vary')).toBe('Accept-Encoding');
    expect(header(head(br).headers, 'etag')).toBe(validatorsFor(2, MTIME, 'br').etag);
    const gz = await send({ path: '/files/app.js', headers: ['accept-encoding', 'br;q=0, gzip'] });
    expect(body(gz)).toBe('GZ');
    const plain = await send({ path: '/files/app.js' });
    expect(body(plain)).toBe('plain');
    expect(header(head(plain).headers, 'content-encoding')).toBeUndefined();
    expect(header(head(plain).headers, 'vary')).toBe('Accept-Encoding');
    expect(files.openNow).toBe(0);
  });

  describe('streaming', () => {
    const big = new Uint8Array(200 * 1024).map((_, i) => i % 251);

    it('waits for onWritable when the client is slow, and reads one chunk at a time', async () => {
      const files = new FakeFileSystem().file('/srv/www/big.bin', big);
      const { pipeline } = setup({}, files);
      const exchange = new FakeExchange(inboundRequest({ path: '/files/big.bin' }));
      exchange.writeAccepts = false;
      pipeline.handle(exchange);
      await flushMicrotasks(60);
      // One chunk read and written, refused: nothing more is read until the client drains.
      expect(files.reads).toEqual([{ position: 0, length: 65536 }]);
      expect(exchange.eventTypes()).toEqual(['startResponse', 'write']);
      expect(pipeline.drain.count).toBe(1);
      for (let round = 0; round < 3; round++) {
        exchange.becomeWritable();
        await flushMicrotasks(60);
      }
      expect(files.reads.map((r) => r.position)).toEqual([0, 65536, 131072, 196608]);
      expect(exchange.eventTypes().at(-1)).toBe('end');
      const sent = Buffer.concat(exchange.events.flatMap((e) => (e.type === 'write' ? [Buffer.from(e.chunk)] : [])));
      expect(sent.equals(Buffer.from(big))).toBe(true);
      expect(files.openNow).toBe(0);
      expect(pipeline.drain.count).toBe(0);
    });

    it('closes the file once when the client leaves while waiting to write', async () => {
      const files = new FakeFileSystem().file('/srv/www/big.bin', big);
      const { pipeline, records } = setup({}, files);
      const exchange = new FakeExchange(inboundRequest({ path: '/files/big.bin' }));
      exchange.writeAccepts = false;
      pipeline.handle(exchange);
      await flushMicrotasks(60);
      expect(exchange.eventTypes()).toEqual(['startResponse', 'write']);
      exchange.goAway();
      expect(files.openNow).toBe(0);
      expect(pipeline.drain.count).toBe(0);
      expect(records.map((r) => r.errorCode)).toEqual(['client_gone']);
    });

    it('closes the file only after an in-flight read settles when the client leaves mid-read', async () => {
      const files = new FakeFileSystem().file('/srv/www/big.bin', big);
      files.holdReads = true;
      const { pipeline, records } = setup({}, files);
      const exchange = new FakeExchange(inboundRequest({ path: '/files/big.bin' }));
      pipeline.handle(exchange);
      await flushMicrotasks(60);
      expect(files.reads).toHaveLength(1);
      exchange.goAway();
      expect(files.openNow).toBe(1);
      files.releaseReads();
      await flushMicrotasks(20);
      expect(files.openNow).toBe(0);
      expect(exchange.eventTypes()).toEqual(['startResponse']);
      expect(records.map((r) => r.errorCode)).toEqual(['client_gone']);
      expect(pipeline.drain.count).toBe(0);
    });

    it('cuts the connection when a read fails after the head went out', async () => {
      const files = new FakeFileSystem().file('/srv/www/big.bin', big);
      files.failReads = true;
      const { send, records, logger } = setup({}, files);
      const exchange = await send({ path: '/files/big.bin' });
      expect(exchange.eventTypes()).toEqual(['startResponse', 'abort']);
      expect(files.openNow).toBe(0);
      expect(records.map((r) => r.errorCode)).toEqual(['file_read_failed']);
      expect(logger.entries.some((line) => line.message === 'static file read failed')).toBe(true);
    });
  });
});
