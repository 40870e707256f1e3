import type { Socket } from 'node:net';
import { request as httpRequest } from 'node:http';
import { startRawBackend, type TcpBackend } from '../support/backends';
import { startProx, type ProxProcess } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

/** One request as a scripted backend sees it. */
interface SeenRequest {
  /** 1 for the backend's first connection, 2 for its second, ... */
  readonly connection: number;
  /** 1 for the first request on that connection, ... */
  readonly onConnection: number;
  readonly head: string;
  readonly socket: Socket;
}

/**
 * A raw backend that splits each connection's bytes into requests (heads plus a
 * Content-Length body) and lets the test answer each one however it likes, misbehaviour
 * included.
 */
async function scriptedBackend(answer: (request: SeenRequest) => void): Promise<TcpBackend & { readonly seen: SeenRequest[] }> {
  const seen: SeenRequest[] = [];
  let connections = 0;
  const backend = await startRawBackend((socket) => {
    const connection = ++connections;
    let onConnection = 0;
    let buffered = '';
    socket.setEncoding('latin1');
    socket.on('data', (text: string) => {
      buffered += text;
      for (;;) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffered.slice(0, end);
        const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
        if (buffered.length < end + 4 + length) return;
        buffered = buffered.slice(end + 4 + length);
        const request = { connection, onConnection: ++onConnection, head, socket };
        seen.push(request);
        answer(request);
      }
    });
  });
  return Object.assign(backend, { seen });
}

const ok = (body: string, extraHead = ''): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n${extraHead}\r\n${body}`;
const pathOf = (request: SeenRequest): string => request.head.split(' ')[1];

/** A GET through prox on a fresh client connection: status, headers and the decoded body. */
function get(port: number, path: string): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ port, host: '127.0.0.1', path, agent: false, headers: { host: 'test' } }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

describe("prox's HTTP/1.1 upstream client, against upstreams that bend the rules", () => {
  const backends: Record<string, Awaited<ReturnType<typeof scriptedBackend>>> = {};
  let prox: ProxProcess;

  beforeAll(async () => {
    // Answers the first request on each connection; breaks the connection on the second, as an
    // upstream does whose keep-alive timeout fires just as prox reuses the connection.
    backends.stale = await scriptedBackend((r) => (r.onConnection === 1 ? r.socket.write(ok(`connection ${r.connection}`)) : r.socket.destroy()));
    // More than 32 header lines (llhttp hands them over in parts), the head split across writes.
    backends.headers = await scriptedBackend((r) => {
      const lines = Array.from({ length: 40 }, (_, i) => `X-Line-${i}: value ${i}\r\n`).join('');
      r.socket.write(`HTTP/1.1 200 OK\r\n${lines.slice(0, 300)}`);
      setImmediate(() => r.socket.write(`${lines.slice(300)}Content-Length: 2\r\n\r\nok`));
    });
    backends.interim = await scriptedBackend((r) => r.socket.write('HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n' + ok('final')));
    // No Content-Length, no chunking: the body ends with the connection.
    backends.closeDelimited = await scriptedBackend((r) => r.socket.end(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(100_000)}`));
    // Bytes nobody asked for after a complete response.
    backends.unsolicited = await scriptedBackend((r) => r.socket.write(ok(`connection ${r.connection}`) + ok('unsolicited')));
    backends.keepAliveHint = await scriptedBackend((r) => r.socket.write(ok(`connection ${r.connection}`, 'Keep-Alive: timeout=1\r\n')));
    const route = (name: string): string => `  "/${name}": { type: proxy, target: "${backends[name].url}", retries: { attempts: 0 } }`;
    prox = await startProx(['listen_addr: "127.0.0.1:0"', 'routes:', ...Object.keys(backends).map(route), ''].join('\n'));
  }, 30_000);

  afterAll(async () => {
    await prox?.stop();
    for (const backend of Object.values(backends)) await backend.close();
  });

  it('sends a bodiless GET once more, on a new connection, when a reused connection breaks before any answer', async () => {
    expect(await get(prox.port, '/stale/one')).toMatchObject({ status: 200, body: 'connection 1' });
    expect(await get(prox.port, '/stale/two')).toMatchObject({ status: 200, body: 'connection 2' });
    expect(backends.stale.seen.map((r) => [r.connection, pathOf(r)])).toEqual([
      [1, '/stale/one'],
      [1, '/stale/two'],
      [2, '/stale/two'],
    ]);
  });

  it('does not send a request with a body again: the client gets 502', async () => {
    // Leaves a connection in the pool that has answered one request (the next one breaks it).
    expect((await get(prox.port, '/stale/warm')).status).toBe(200);
    const before = backends.stale.seen.length;
    const answer = await rawRequest(prox.port, 'POST /stale/post HTTP/1.1\r\nHost: test\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbody');
    expect(statusCodes(answer.text)).toEqual([502]);
    expect(backends.stale.seen.slice(before).map(pathOf)).toEqual(['/stale/post']);
  });

  it('passes on a head of more than 32 lines that arrives in two reads', async () => {
    const answer = await get(prox.port, '/headers');
    expect(answer.status).toBe(200);
    expect(answer.body).toBe('ok');
    for (let i = 0; i < 40; i += 1) expect(answer.headers[`x-line-${i}`]).toBe(`value ${i}`);
  });

  it('does not forward an interim 1xx answer, only the final one', async () => {
    const answer = await rawRequest(prox.port, 'GET /interim HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text).not.toContain('Early Hints');
    expect(answer.text.endsWith('final')).toBe(true);
  });

  it('forwards a body that ends with the connection whole, and opens a new connection next time', async () => {
    const first = await get(prox.port, '/closeDelimited/1');
    expect({ status: first.status, length: first.body.length }).toEqual({ status: 200, length: 100_000 });
    const second = await get(prox.port, '/closeDelimited/2');
    expect({ status: second.status, length: second.body.length }).toEqual({ status: 200, length: 100_000 });
    expect(backends.closeDelimited.seen.map((r) => r.connection)).toEqual([1, 2]);
  });

  it('does not reuse a connection that sent bytes after a complete response', async () => {
    expect(await get(prox.port, '/unsolicited/1')).toMatchObject({ status: 200, body: 'connection 1' });
    expect(await get(prox.port, '/unsolicited/2')).toMatchObject({ status: 200, body: 'connection 2' });
    expect(backends.unsolicited.seen.map((r) => r.connection)).toEqual([1, 2]);
  });

  it("keeps a connection no longer than the upstream's Keep-Alive timeout allows, less a second", async () => {
    // timeout=1 leaves nothing: the connection closes after its response.
    expect(await get(prox.port, '/keepAliveHint/1')).toMatchObject({ status: 200, body: 'connection 1' });
    expect(await get(prox.port, '/keepAliveHint/2')).toMatchObject({ status: 200, body: 'connection 2' });
  });
});
