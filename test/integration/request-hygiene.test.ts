import { IncomingMessage, ServerResponse } from 'node:http';
import { connect, Socket } from 'node:net';
import { once } from 'node:events';
import { deadAddress, startBackend, startRawBackend, TestBackend } from '../support/backends';
import { ProxProcess, startProx } from '../support/prox-process';
import { engineOf } from '../support/engines';
import { rawRequest, RawExchange, statusCodes } from '../support/raw-client';

/**
 * Request hygiene against a real prox subprocess and a real backend, over raw sockets.
 *
 * The µWebSockets build under prox drops some malformed requests itself before prox sees them
 * (no status is sent). And when a pipelined request follows one prox has not answered yet in
 * the same packet, uWS closes the connection, so a rejected request followed by a smuggled one
 * gets no status at all. Each rule is therefore tested twice where it matters: an honest
 * client gets the status and a closed connection; a smuggling client gets a closed connection
 * and the smuggled request never reaches the backend.
 */

const LIMITS = { maxHeaderBytes: 2048, maxHeaders: 20, maxBodyBytes: 1024 };

/** What the backend saw of each request body. */
interface BodyRecord {
  readonly url: string;
  bytes: number;
  /** The whole body arrived ('end' fired). */
  complete: boolean;
  /** The request is over on the backend side (ended or torn down). */
  closed: boolean;
}

let prox: ProxProcess;
let backend: TestBackend;
/** Used by one test only, so its upstream pool has no open connection yet. */
let coldBackend: TestBackend;
let rawBackend: { url: string; close(): Promise<void> };
const bodies: BodyRecord[] = [];
/** Held `/api/slow` responses, released at the end. */
const held: ServerResponse[] = [];
/** Wakes `waitFor` callers whenever the backend sees something. */
const backendListeners = new Set<() => void>();
let sentinelCount = 0;

function backendEvent(): void {
  for (const listener of [...backendListeners]) listener();
}

/** Resolves once `predicate` holds, re-checked at every backend event. Bounded as a safety net. */
function backendWaitFor(predicate: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!predicate()) return;
      backendListeners.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      backendListeners.delete(check);
      reject(new Error(`backend never saw: ${what}`));
    }, timeoutMs);
    backendListeners.add(check);
    check();
  });
}

function backendHandler(req: IncomingMessage, res: ServerResponse): void {
  const record: BodyRecord = { url: req.url ?? '', bytes: 0, complete: false, closed: false };
  bodies.push(record);
  const url = record.url;
  req.on('data', (chunk: Buffer) => {
    record.bytes += chunk.byteLength;
    backendEvent();
  });
  req.on('end', () => {
    record.complete = true;
    backendEvent();
  });
  req.on('close', () => {
    record.closed = true;
    backendEvent();
  });
  res.on('close', () => {
    record.closed = true;
    backendEvent();
  });

  if (url.startsWith('/api/head')) {
    // An explicit Content-Length, as for the GET; node:http sends no body bytes for HEAD.
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '11' });
    res.end(req.method === 'HEAD' ? undefined : 'hello world');
  } else if (url.startsWith('/api/slow')) {
    held.push(res);
  } else if (url.startsWith('/api/early')) {
    // Answers before reading the request body, then keeps reading it.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('started\n');
    req.on('end', () => res.end(`got ${record.bytes}\n`));
  } else {
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`ok ${req.method} ${url} ${record.bytes}`);
    });
  }
  backendEvent();
}

/**
 * A raw upstream for responses node:http would not send: it answers by request path.
 * Bodies are not expected (GET/HEAD only).
 */
function rawBackendSocket(socket: Socket): void {
  let buffered = '';
  socket.setEncoding('latin1');
  socket.on('data', (text: string) => {
    buffered += text;
    let end: number;
    while ((end = buffered.indexOf('\r\n\r\n')) !== -1) {
      const head = buffered.slice(0, end);
      buffered = buffered.slice(end + 4);
      const path = head.split(' ')[1] ?? '';
      socket.write(rawResponseFor(path), 'latin1');
    }
  });
}

function rawResponseFor(path: string): string {
  switch (path) {
    case '/raw/204':
      return 'HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-Kind: no-content\r\n\r\n';
    case '/raw/304':
      return 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\nETag: "v1"\r\n\r\n';
    case '/raw/bad-cr':
      return 'HTTP/1.1 200 OK\r\nX-Bad: a\rb\r\nContent-Length: 2\r\n\r\nok';
    case '/raw/bad-nul':
      return 'HTTP/1.1 200 OK\r\nX-Bad: a\0b\r\nContent-Length: 2\r\n\r\nok';
    default:
      return 'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine';
  }
}

beforeAll(async () => {
  backend = await startBackend(backendHandler);
  rawBackend = await startRawBackend(rawBackendSocket);
  coldBackend = await startBackend();
  const dead = await deadAddress();
  prox = await startProx(`
listen_addr: "127.0.0.1:0"
limits:
  max_header_bytes: ${LIMITS.maxHeaderBytes}
  max_headers: ${LIMITS.maxHeaders}
  max_body_bytes: ${LIMITS.maxBodyBytes}
routes:
  "/api":
    type: proxy
    target: "${backend.url}"
  "/raw":
    type: proxy
    target: "${rawBackend.url}"
  "/cold":
    type: proxy
    target: "${coldBackend.url}"
  "/dead":
    type: proxy
    target: "${dead}"
  "/old":
    type: redirect
    target: "https://example.com/new"
    status_code: 301
`);
});

afterAll(async () => {
  for (const res of held.splice(0)) res.destroy();
  await prox?.stop();
  await backend?.close();
  await rawBackend?.close();
  await coldBackend?.close();
});

// ---- helpers ---------------------------------------------------------------------------------

const HOST = 'Host: prox.test\r\n';

/** A marker no other test uses, so a leak into the backend is attributable. */
let markerCount = 0;
function marker(name: string): string {
  markerCount++;
  return `/api/smuggled-${name}-${markerCount}`;
}

function smuggledGet(path: string): string {
  return `GET ${path} HTTP/1.1\r\n${HOST}\r\n`;
}

/**
 * Proves nothing more is coming: a fresh request on a new connection is answered, so any
 * request prox had dispatched on the closed connection's behalf would have arrived by now.
 * Then asserts no backend request had the URL `path`.
 */
async function expectNeverReachedBackend(path: string): Promise<void> {
  sentinelCount++;
  const sentinel = `/api/sentinel-${sentinelCount}`;
  const answer = await rawRequest(prox.port, `GET ${sentinel} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
  expect(statusCodes(answer.text)).toEqual([200]);
  expect(answer.text.match(/\r\nConnection: close\r\n/gi)).toHaveLength(1);
  expect(backend.received.map((r) => r.url)).toContain(sentinel);
  expect(backend.received.map((r) => r.url).filter((url) => url === path)).toEqual([]);
}

/** Backend request count now, to assert later that a test sent nothing but its sentinel. */
function backendMark(): number {
  return backend.received.length;
}

function backendUrlsSince(mark: number): string[] {
  return backend.received
    .slice(mark)
    .map((r) => r.url)
    .filter((url) => !url.startsWith('/api/sentinel-'));
}

/** The honest client's answer: exactly one response with `status`, then the server closed. */
function expectRejected(answer: RawExchange, status: number): void {
  expect(statusCodes(answer.text)).toEqual([status]);
  expect(answer.text).toMatch(/\r\nConnection: close\r\n/i);
  expect(answer.closedByServer).toBe(true);
}

/**
 * The smuggling client's answer: the server closed the connection, and whatever was sent
 * before that is at most the rejection (never a success for either request).
 */
function expectClosedWithoutSuccess(answer: RawExchange, rejection: number | null): void {
  expect(answer.closedByServer).toBe(true);
  const statuses = statusCodes(answer.text);
  expect(statuses.every((status) => status === rejection)).toBe(true);
  expect(statuses.length).toBeLessThanOrEqual(1);
}

/** A raw connection driven step by step: write, then await text or the server closing. */
class RawConnection {
  text = '';
  closedByServer = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.text += chunk;
      this.wake();
    });
    const closed = (): void => {
      this.closedByServer = true;
      this.wake();
    };
    socket.on('end', closed);
    socket.on('close', closed);
    socket.on('error', closed);
  }

  static async open(port: number): Promise<RawConnection> {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  /** Resolves once the bytes are handed to the kernel (or the socket failed). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(data, () => resolve());
    });
  }

  /** Resolves when `pattern` is in what the server sent; rejects if it closes first. */
  waitForText(pattern: RegExp, timeoutMs = 5_000): Promise<void> {
    return this.until(() => pattern.test(this.text), `text ${String(pattern)}`, timeoutMs, true);
  }

  waitForClose(timeoutMs = 5_000): Promise<void> {
    return this.until(() => this.closedByServer, 'server close', timeoutMs, false);
  }

  destroy(): void {
    this.socket.destroy();
  }

  private until(predicate: () => boolean, what: string, timeoutMs: number, failOnClose: boolean): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (predicate()) return done(null);
        if (failOnClose && this.closedByServer) done(new Error(`closed before ${what}; got ${JSON.stringify(this.text)}`));
      };
      const done = (error: Error | null): void => {
        this.listeners.delete(check);
        clearTimeout(timer);
        if (error === null) resolve();
        else reject(error);
      };
      const timer = setTimeout(() => done(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.text)}`)), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  private wake(): void {
    for (const listener of [...this.listeners]) listener();
  }
}

/** A raw exchange ending in server close: the status line, headers and body of one response. */
function splitResponse(text: string): { head: string; body: string } {
  const end = text.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`no complete response head in ${JSON.stringify(text)}`);
  return { head: text.slice(0, end + 2), body: text.slice(end + 4) };
}

function chunk(data: string): string {
  return `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
}

// ---- Content-Length ----------------------------------------------------------------------------

describe('Content-Length', () => {
  it('answers two different Content-Length values with 400 and closes', async () => {
    const mark = backendMark();
    const answer = await rawRequest(
      prox.port,
      `POST /api/cl-conflict HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 40\r\n\r\nhello`,
    );
    expectRejected(answer, 400);
    expect(answer.text).toContain('"error":"bad_request"');
    await expectNeverReachedBackend('/api/cl-conflict');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('also rejects when the larger value comes first', async () => {
    const answer = await rawRequest(
      prox.port,
      `POST /api/cl-conflict-2 HTTP/1.1\r\n${HOST}Content-Length: 40\r\nContent-Length: 5\r\n\r\nhello`,
    );
    expectRejected(answer, 400);
    await expectNeverReachedBackend('/api/cl-conflict-2');
  });

  it('never serves the request smuggled after the shorter body', async () => {
    // uWS frames by the first value (5): the rest parses as a new request. Prox must not let
    // either reach the backend. uWS closes before the 400 goes out, so only the close is certain.
    const smuggled = marker('cl');
    const mark = backendMark();
    const answer = await rawRequest(
      prox.port,
      `POST /api/cl-outer HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: ${5 + smuggledGet(smuggled).length}\r\n\r\n` +
        `hello${smuggledGet(smuggled)}`,
    );
    expectClosedWithoutSuccess(answer, 400);
    await expectNeverReachedBackend(smuggled);
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('folds repeated identical Content-Length values into one and forwards the body (µWebSockets), or refuses them (llhttp, node:http)', async () => {
    const answer = await rawRequest(
      prox.port,
      `POST /api/cl-same HTTP/1.1\r\n${HOST}Content-Length: 5\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello`,
    );
    // RFC 9110 §8.6 allows either; node's parser (llhttp) refuses any repeated Content-Length.
    if (engineOf(prox) !== 'uws') {
      expectRejected(answer, 400);
      await expectNeverReachedBackend('/api/cl-same');
      return;
    }
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text).toContain('ok POST /api/cl-same 5');
    const seen = backend.received.find((r) => r.url === '/api/cl-same')!;
    expect(seen.rawHeaders.filter((name) => name.toLowerCase() === 'content-length')).toHaveLength(1);
  });

  it('answers an empty Content-Length with 400 and closes', async () => {
    const answer = await rawRequest(prox.port, `POST /api/cl-empty HTTP/1.1\r\n${HOST}Content-Length: \r\n\r\n`);
    expectRejected(answer, 400);
    await expectNeverReachedBackend('/api/cl-empty');
  });

  it('never serves a request smuggled after an empty Content-Length', async () => {
    const smuggled = marker('cl-empty');
    const answer = await rawRequest(
      prox.port,
      `POST /api/cl-empty-2 HTTP/1.1\r\n${HOST}Content-Length: \r\n\r\n${smuggledGet(smuggled)}`,
    );
    expectClosedWithoutSuccess(answer, 400);
    await expectNeverReachedBackend(smuggled);
    await expectNeverReachedBackend('/api/cl-empty-2');
  });

  // uWS itself drops these before prox sees them: no status is sent, so the test asserts the
  // closed connection and that nothing reached the backend.
  it.each(['+5', '5abc', '-1', '0x5', '1e3', '5, 5', '99999999999999999999'])(
    'closes on a non-decimal Content-Length %j and forwards nothing',
    async (value) => {
      const smuggled = marker('cl-bad');
      const mark = backendMark();
      const answer = await rawRequest(
        prox.port,
        `POST /api/cl-bad HTTP/1.1\r\n${HOST}Content-Length: ${value}\r\n\r\nhello${smuggledGet(smuggled)}`,
      );
      expectClosedWithoutSuccess(answer, 400);
      await expectNeverReachedBackend(smuggled);
      expect(backendUrlsSince(mark)).toEqual([]);
    },
  );
});

// ---- Transfer-Encoding -------------------------------------------------------------------------

describe('Transfer-Encoding', () => {
  const body = chunk('hello') + '0\r\n\r\n';

  it.each([
    ['xchunked', 501, 'Transfer-Encoding: xchunked\r\n'],
    ['chunked, gzip', 400, 'Transfer-Encoding: chunked, gzip\r\n'],
    ['gzip', 400, 'Transfer-Encoding: gzip\r\n'],
    ['gzip, chunked', 501, 'Transfer-Encoding: gzip, chunked\r\n'],
    ['duplicated lines', 400, 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
  ])('answers Transfer-Encoding %s with %i and closes', async (name, status, headers) => {
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `POST /api/te HTTP/1.1\r\n${HOST}${headers}\r\n`);
    expectRejected(answer, status);
    await expectNeverReachedBackend('/api/te');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it.each([
    ['xchunked', 501, 'Transfer-Encoding: xchunked\r\n'],
    ['chunked, gzip', 400, 'Transfer-Encoding: chunked, gzip\r\n'],
    ['duplicated lines', 400, 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n'],
  ])('never serves a request smuggled after a Transfer-Encoding %s body', async (name, status, headers) => {
    // uWS reads these bodies as chunked; the smuggled request follows the last chunk.
    const smuggled = marker('te');
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `POST /api/te-outer HTTP/1.1\r\n${HOST}${headers}\r\n${body}${smuggledGet(smuggled)}`);
    expectClosedWithoutSuccess(answer, status);
    await expectNeverReachedBackend(smuggled);
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  // uWS drops Transfer-Encoding together with Content-Length itself, in either order and even
  // when both frame the same bytes: no status is sent, so the test asserts the closed
  // connection and that nothing reached the backend. Prox's own 400 is in the unit tests.
  it.each([
    ['Content-Length first', `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`],
    ['Transfer-Encoding first', `Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n`],
    ['Content-Length covering the smuggled request', 'Content-Length: 200\r\nTransfer-Encoding: chunked\r\n'],
    ['Content-Length: 0', 'Content-Length: 0\r\nTransfer-Encoding: chunked\r\n'],
  ])('closes on Transfer-Encoding with Content-Length (%s) and forwards nothing', async (name, headers) => {
    const smuggled = marker('te-cl');
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `POST /api/te-cl HTTP/1.1\r\n${HOST}${headers}\r\n${body}${smuggledGet(smuggled)}`);
    expectClosedWithoutSuccess(answer, 400);
    await expectNeverReachedBackend(smuggled);
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('still forwards a plain chunked body (control)', async () => {
    const answer = await rawRequest(
      prox.port,
      `POST /api/te-ok HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text).toContain('ok POST /api/te-ok 5');
  });
});

// ---- Host ----------------------------------------------------------------------------------------

describe('Host', () => {
  // A request with no Host at all never reaches prox: uWS holds it until its idle timeout and
  // closes. That ~10 s case lives in hygiene-missing-host.test.ts.

  it.each([
    ['duplicated', 'Host: a.test\r\nHost: b.test\r\n'],
    ['duplicated with the same value', 'Host: a.test\r\nHost: a.test\r\n'],
    ['empty', 'Host: \r\n'],
    ['containing a space', 'Host: a b\r\n'],
    ['containing a slash', 'Host: a.test/evil\r\n'],
    ['with userinfo', 'Host: user@a.test\r\n'],
    ['with a non-numeric port', 'Host: a.test:http\r\n'],
    ['with an unclosed IPv6 bracket', 'Host: [::1\r\n'],
  ])('answers a Host that is %s with 400 and closes', async (name, hostLines) => {
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `GET /api/host HTTP/1.1\r\n${hostLines}\r\n`);
    expectRejected(answer, 400);
    await expectNeverReachedBackend('/api/host');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('never serves a request smuggled after a duplicate Host', async () => {
    const smuggled = marker('host');
    const answer = await rawRequest(prox.port, `GET /api/host-2 HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n${smuggledGet(smuggled)}`);
    expectClosedWithoutSuccess(answer, 400);
    await expectNeverReachedBackend(smuggled);
    await expectNeverReachedBackend('/api/host-2');
  });
});

// ---- Header limits -----------------------------------------------------------------------------

describe('header limits', () => {
  it('answers a header block over max_header_bytes sent in one write with 431', async () => {
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `GET /api/big HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(3000)}\r\n\r\n`);
    expectRejected(answer, 431);
    expect(answer.text).toContain('"error":"request_header_fields_too_large"');
    await expectNeverReachedBackend('/api/big');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('caps a header block far over uWS own buffer in one write too', async () => {
    // uWS takes a header block of any size when it comes in one read, so only max_header_bytes
    // stops it: 431. If the kernel splits it across reads, uWS drops it itself (no status).
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `GET /api/huge HTTP/1.1\r\n${HOST}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    expectClosedWithoutSuccess(answer, 431);
    await expectNeverReachedBackend('/api/huge');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('answers a header block over max_header_bytes arriving in several small writes with 431', async () => {
    const mark = backendMark();
    const connection = await RawConnection.open(prox.port);
    await connection.write(`GET /api/pieces HTTP/1.1\r\n${HOST}`);
    for (let i = 0; i < 5; i++) await connection.write(`X-Piece-${i}: ${'p'.repeat(500)}\r\n`);
    await connection.write('\r\n');
    await connection.waitForClose();
    expect(statusCodes(connection.text)).toEqual([431]);
    expect(connection.text).toMatch(/\r\nConnection: close\r\n/i);
    await expectNeverReachedBackend('/api/pieces');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('closes when pieces grow past uWS own header buffer, and forwards nothing', async () => {
    // uWS drops a header block it has to buffer across reads once it passes ~4 KiB, before
    // prox sees it: no status, so the test asserts the close and an untouched backend.
    const mark = backendMark();
    const connection = await RawConnection.open(prox.port);
    await connection.write(`GET /api/pieces-big HTTP/1.1\r\n${HOST}`);
    for (let i = 0; i < 12; i++) {
      if (connection.closedByServer) break;
      await connection.write(`X-Piece-${i}: ${'p'.repeat(500)}\r\n`);
    }
    await connection.write('\r\n');
    await connection.waitForClose();
    expect(statusCodes(connection.text).every((status) => status === 431)).toBe(true);
    await expectNeverReachedBackend('/api/pieces-big');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('answers more than max_headers header fields with 431', async () => {
    const mark = backendMark();
    const many = Array.from({ length: 30 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const answer = await rawRequest(prox.port, `GET /api/many HTTP/1.1\r\n${HOST}${many}\r\n`);
    expectRejected(answer, 431);
    await expectNeverReachedBackend('/api/many');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('forwards a request right at the limits (control)', async () => {
    const fields = Array.from({ length: LIMITS.maxHeaders - 2 }, (_, i) => `X-H${i}: v\r\n`).join('');
    const answer = await rawRequest(prox.port, `GET /api/at-limit HTTP/1.1\r\n${HOST}${fields}Connection: close\r\n\r\n`);
    expect(statusCodes(answer.text)).toEqual([200]);
  });
});

// ---- Body limit --------------------------------------------------------------------------------

describe('body limit', () => {
  it('answers a Content-Length over max_body_bytes with 413 before reading the body', async () => {
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `POST /api/body-cl HTTP/1.1\r\n${HOST}Content-Length: 2000\r\n\r\n`);
    expectRejected(answer, 413);
    expect(answer.text).toContain('"error":"payload_too_large"');
    await expectNeverReachedBackend('/api/body-cl');
    expect(backendUrlsSince(mark)).toEqual([]);
  });

  it('answers 413 when the whole oversized body is sent at once', async () => {
    const smuggled = marker('body');
    const answer = await rawRequest(
      prox.port,
      `POST /api/body-cl-2 HTTP/1.1\r\n${HOST}Content-Length: 2000\r\n\r\n${'a'.repeat(2000 - smuggledGet(smuggled).length)}${smuggledGet(smuggled)}`,
    );
    expectRejected(answer, 413);
    await expectNeverReachedBackend('/api/body-cl-2');
    await expectNeverReachedBackend(smuggled);
  });

  it('answers 413 to a chunked body growing past the limit, and the backend never gets all of it', async () => {
    const connection = await RawConnection.open(prox.port);
    await connection.write(`POST /api/body-chunked HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(512))}`);
    // The backend is reading the body before the limit is crossed.
    await backendWaitFor(() => bodies.some((b) => b.url === '/api/body-chunked' && b.bytes >= 512), 'first chunk');
    await connection.write(chunk('b'.repeat(512)) + chunk('c'.repeat(512)) + '0\r\n\r\n');
    await connection.waitForClose();
    expect(statusCodes(connection.text)).toEqual([413]);
    expect(connection.text).toMatch(/\r\nConnection: close\r\n/i);
    const record = bodies.find((b) => b.url === '/api/body-chunked')!;
    await backendWaitFor(() => record.closed, 'upstream request torn down');
    expect(record.complete).toBe(false);
    expect(record.bytes).toBeLessThanOrEqual(LIMITS.maxBodyBytes);
  });

  it('never serves a request pipelined after a chunked body that grew past the limit', async () => {
    // The upstream is already reading the body, so the 413 is produced while uWS is still
    // parsing the read that crossed the limit; the request after the body is in that same read.
    const smuggled = marker('after-413');
    const connection = await RawConnection.open(prox.port);
    await connection.write(`POST /api/body-pipelined HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(512))}`);
    await backendWaitFor(() => bodies.some((b) => b.url === '/api/body-pipelined' && b.bytes >= 512), 'first chunk');
    await connection.write(chunk('b'.repeat(512)) + chunk('c'.repeat(512)) + '0\r\n\r\n' + smuggledGet(smuggled));
    await connection.waitForClose();
    expect(statusCodes(connection.text).every((status) => status === 413)).toBe(true);
    await expectNeverReachedBackend(smuggled);
    const record = bodies.find((b) => b.url === '/api/body-pipelined')!;
    await backendWaitFor(() => record.closed, 'upstream request torn down');
    expect(record.complete).toBe(false);
  });

  it('answers 413 to a chunked body over the limit sent in one write', async () => {
    const smuggled = marker('chunked');
    const answer = await rawRequest(
      prox.port,
      `POST /api/body-chunked-2 HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n` +
        chunk('a'.repeat(700)) +
        chunk('b'.repeat(700)) +
        '0\r\n\r\n' +
        smuggledGet(smuggled),
    );
    expect(answer.closedByServer).toBe(true);
    expect(statusCodes(answer.text).every((status) => status === 413)).toBe(true);
    await expectNeverReachedBackend(smuggled);
    await backendWaitFor(
      () => bodies.filter((b) => b.url === '/api/body-chunked-2').every((b) => b.closed),
      'upstream request over',
    );
    expect(bodies.filter((b) => b.url === '/api/body-chunked-2' && b.complete)).toEqual([]);
  });

  it('cuts the connection when the body grows past the limit after the response started', async () => {
    const connection = await RawConnection.open(prox.port);
    await connection.write(`POST /api/early HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(512))}`);
    await connection.waitForText(/started\n/);
    expect(statusCodes(connection.text)).toEqual([200]);
    await connection.write(chunk('b'.repeat(512)) + chunk('c'.repeat(512)) + '0\r\n\r\n');
    await connection.waitForClose();
    // A chunked response that never got its last chunk: the client cannot mistake it for whole.
    expect(connection.text).not.toMatch(/\r\n0\r\n\r\n$/);
    expect(connection.text).not.toContain('got ');
    const record = bodies.find((b) => b.url === '/api/early')!;
    await backendWaitFor(() => record.closed, 'upstream request torn down');
    expect(record.complete).toBe(false);
  });

  it('forwards a body right at the limit (control)', async () => {
    const answer = await rawRequest(
      prox.port,
      `POST /api/body-ok HTTP/1.1\r\n${HOST}Content-Length: ${LIMITS.maxBodyBytes}\r\nConnection: close\r\n\r\n${'a'.repeat(LIMITS.maxBodyBytes)}`,
    );
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text).toContain(`ok POST /api/body-ok ${LIMITS.maxBodyBytes}`);
  });
});

// ---- Bodiless responses --------------------------------------------------------------------------

describe('bodiless responses', () => {
  /**
   * Sends `request` on a fresh connection, waits for the response head, then sends a second,
   * non-pipelined GET on the same connection. The second response must start right after the
   * first head: any body bytes in between would show up before it.
   */
  async function headThenFollowUp(request: string): Promise<{ head: string; between: string }> {
    const connection = await RawConnection.open(prox.port);
    try {
      await connection.write(request);
      await connection.waitForText(/\r\n\r\n/);
      const headEnd = connection.text.indexOf('\r\n\r\n') + 4;
      await connection.write(`GET /api/follow-up HTTP/1.1\r\n${HOST}\r\n`);
      await connection.waitForText(/ok GET \/api\/follow-up 0/);
      const second = connection.text.indexOf('HTTP/1.1 ', headEnd);
      return { head: connection.text.slice(0, headEnd), between: connection.text.slice(headEnd, second) };
    } finally {
      connection.destroy();
    }
  }

  it('sends no body for HEAD even though the backend sends a Content-Length', async () => {
    const { head, between } = await headThenFollowUp(`HEAD /api/head HTTP/1.1\r\n${HOST}\r\n`);
    expect(statusCodes(head)).toEqual([200]);
    expect(head).toMatch(/\r\ncontent-length: 11\r\n/i);
    expect(between).toBe('');
  });

  it('sends nothing after the HEAD response head before closing (Connection: close)', async () => {
    const answer = await rawRequest(prox.port, `HEAD /api/head HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(answer.closedByServer).toBe(true);
    const { head, body } = splitResponse(answer.text);
    expect(statusCodes(head)).toEqual([200]);
    expect(body).toBe('');
  });

  it('sends no body for HEAD on a response prox makes itself (404)', async () => {
    const { head, between } = await headThenFollowUp(`HEAD /nowhere HTTP/1.1\r\n${HOST}\r\n`);
    expect(statusCodes(head)).toEqual([404]);
    expect(between).toBe('');
  });

  it.each([
    ['204', '/raw/204'],
    ['304', '/raw/304'],
  ])('strips Content-Length and body from a %s', async (status, path) => {
    const { head, between } = await headThenFollowUp(`GET ${path} HTTP/1.1\r\n${HOST}\r\n`);
    expect(statusCodes(head)).toEqual([Number(status)]);
    expect(head).not.toMatch(/\r\ncontent-length:/i);
    expect(head).not.toMatch(/\r\ntransfer-encoding:/i);
    expect(between).toBe('');
  });
});

// ---- Connection: close ---------------------------------------------------------------------------

describe('Connection: close', () => {
  it.each([
    ['a proxied route', '/api/close-first'],
    ['the no-route 404', '/nowhere/close-first'],
    ['a redirect route', '/old/close-first'],
  ])('never serves a request pipelined after Connection: close on %s', async (name, firstPath) => {
    const second = marker('after-close');
    const mark = backendMark();
    const answer = await rawRequest(prox.port, `GET ${firstPath} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n${smuggledGet(second)}`);
    expect(answer.closedByServer).toBe(true);
    // At most the first request's answer; never one for the second.
    expect(statusCodes(answer.text).length).toBeLessThanOrEqual(1);
    await expectNeverReachedBackend(second);
    expect(backendUrlsSince(mark).filter((url) => url !== firstPath)).toEqual([]);
  });

  it.each([
    ['a proxied route', '/api/close-then-write', 200],
    ['the no-route 404', '/nowhere/close-then-write', 404],
    ['a redirect route', '/old/close-then-write', 301],
  ])('answers Connection: close on %s, closes, and serves nothing written after', async (name, firstPath, status) => {
    const second = marker('written-after-close');
    const connection = await RawConnection.open(prox.port);
    await connection.write(`GET ${firstPath} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    await connection.waitForText(/\r\n\r\n/);
    expect(statusCodes(connection.text)).toEqual([status]);
    // RFC 9112 §9.6 says the answer SHOULD carry `Connection: close`. uWS writes it only when
    // prox itself decides to close (end(body, true) on a request that did not ask), not when
    // the client asked, so it is not asserted here.
    // A client that ignores the close and carries on.
    await connection.write(smuggledGet(second));
    await connection.waitForClose();
    expect(statusCodes(connection.text)).toEqual([status]);
    await expectNeverReachedBackend(second);
  });
});

// ---- Header values with CR/LF/NUL from the upstream ---------------------------------------------

describe('upstream header values with control characters', () => {
  // node:http refuses to send these, so a raw backend does. undici's llhttp parser rejects the
  // response, and prox answers 502 without ever writing the value. (writeHeaderList's own
  // CR/LF/NUL filter is unit-tested in test/adapters/request-hygiene.test.ts.)
  it.each([
    ['CR', '/raw/bad-cr', '\r'],
    ['NUL', '/raw/bad-nul', '\0'],
  ])('answers 502 when the upstream sends a header value with %s', async (name, path, bad) => {
    const answer = await rawRequest(prox.port, `GET ${path} HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(statusCodes(answer.text)).toEqual([502]);
    expect(answer.text).not.toContain(`a${bad}b`);
    expect(answer.text.toLowerCase()).not.toContain('x-bad');
    expect(answer.closedByServer).toBe(true);
  });
});

// ---- Client going away -------------------------------------------------------------------------

describe('client going away', () => {
  it('survives a client that disconnects while the backend is slow, and serves the next request', async () => {
    const connection = await RawConnection.open(prox.port);
    await connection.write(`GET /api/slow-1 HTTP/1.1\r\n${HOST}\r\n`);
    await backendWaitFor(() => bodies.some((b) => b.url === '/api/slow-1'), 'slow request');
    connection.destroy();
    // prox aborts the upstream request once the client is gone.
    const record = bodies.find((b) => b.url === '/api/slow-1')!;
    await backendWaitFor(() => record.closed, 'upstream request torn down');

    const next = await rawRequest(prox.port, `GET /api/after-disconnect HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(statusCodes(next.text)).toEqual([200]);
    expect(prox.child.exitCode).toBeNull();
  });

  it('survives a client that disconnects halfway through its request body', async () => {
    const connection = await RawConnection.open(prox.port);
    await connection.write(`POST /api/slow-2 HTTP/1.1\r\n${HOST}Content-Length: 800\r\n\r\n${'a'.repeat(100)}`);
    await backendWaitFor(() => bodies.some((b) => b.url === '/api/slow-2' && b.bytes >= 100), 'partial body');
    connection.destroy();
    const record = bodies.find((b) => b.url === '/api/slow-2')!;
    await backendWaitFor(() => record.closed, 'upstream request torn down');
    expect(record.complete).toBe(false);

    const next = await rawRequest(prox.port, `GET /api/after-disconnect-2 HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(statusCodes(next.text)).toEqual([200]);
    expect(prox.child.exitCode).toBeNull();
  });

  // Known bug outside the files this suite may change: when the client is gone before undici
  // has connected upstream, undici still reads the request body once (`body.read(0)`) and then
  // aborts without listening for the body stream's 'error'. UwsExchange.start() reports the
  // failed body synchronously inside that read, BodySourceReadable.destroy(error) emits 'error'
  // with no listener, and prox logs an uncaught exception (it keeps running). The fix is in
  // uws-exchange.ts (report the error on the next tick); turn this into a plain `it` then.
  it('raises no uncaught exception when the client is gone before the upstream connects', async () => {
    // Chunked body over the limit, then a pipelined request: uWS drops the connection while
    // undici is still connecting to the (cold) upstream.
    const answer = await rawRequest(
      prox.port,
      `POST /cold/gone HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\n\r\n${chunk('a'.repeat(700))}${chunk('b'.repeat(700))}0\r\n\r\n` +
        smuggledGet('/cold/smuggled'),
    );
    expect(answer.closedByServer).toBe(true);
    // Barriers: the cold pool has served a later request, then a later request's log line is in.
    const sentinel = await rawRequest(prox.port, `GET /cold/sentinel HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(statusCodes(sentinel.text)).toEqual([200]);
    const logged = prox.nextLog('upstream request failed');
    await rawRequest(prox.port, `GET /dead/barrier HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    await logged;
    expect(coldBackend.received.map((r) => r.url)).toEqual(['/cold/sentinel']);
    expect(prox.logs.filter((line) => String(line.msg).startsWith('uncaught exception'))).toEqual([]);
  });

  it('survives a client that disconnects before a deferred rejection is written', async () => {
    const connection = await RawConnection.open(prox.port);
    await connection.write(`GET /api/gone HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n`);
    connection.destroy();
    const next = await rawRequest(prox.port, `GET /api/after-gone HTTP/1.1\r\n${HOST}Connection: close\r\n\r\n`);
    expect(statusCodes(next.text)).toEqual([200]);
    expect(prox.child.exitCode).toBeNull();
  });
});
