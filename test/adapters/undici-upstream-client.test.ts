import { once } from 'node:events';
import { AddressInfo, createServer, Server, Socket } from 'node:net';
import { headerListOf, UndiciUpstreamClient } from '../../src/adapters/undici/undici-upstream-client';
import type { BodySink, BodySource } from '../../src/ports/body';
import type { UpstreamFailure, UpstreamFlow, UpstreamRequest, UpstreamResponseHandler } from '../../src/ports/upstream-client';

/** A TCP server whose every connection is handled by `onConnection`, for exact bytes on the wire. */
async function rawServer(onConnection: (socket: Socket) => void): Promise<{ server: Server; origin: string }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Calls `reply` once the request head (up to the blank line) has arrived. */
function onHead(socket: Socket, reply: (head: string) => void): void {
  let text = '';
  const listener = (chunk: Buffer): void => {
    text += chunk.toString('latin1');
    if (!text.includes('\r\n\r\n')) return;
    socket.off('data', listener);
    reply(text);
  };
  socket.on('data', listener);
}

class Recorder implements UpstreamResponseHandler {
  status = 0;
  headers: string[] = [];
  flow: UpstreamFlow | null = null;
  bytes = 0;
  chunks = 0;
  ended = false;
  failure: UpstreamFailure | null = null;
  /** Return value of onUpstreamData: false asks for a pause. */
  accept = true;
  readonly settled: Promise<void>;
  private settle!: () => void;

  constructor() {
    this.settled = new Promise((resolve) => (this.settle = resolve));
  }

  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void {
    this.status = status;
    this.headers = headers;
    this.flow = flow;
  }

  onUpstreamData(chunk: Uint8Array): boolean {
    this.chunks++;
    this.bytes += chunk.byteLength;
    return this.accept;
  }

  onUpstreamEnd(): void {
    this.ended = true;
    this.settle();
  }

  onUpstreamError(failure: UpstreamFailure): void {
    this.failure = failure;
    this.settle();
  }
}

/** A request body fed by hand. */
class ManualBody implements BodySource {
  sink: BodySink | null = null;
  started = false;
  start(sink: BodySink): void {
    this.started = true;
    this.sink = sink;
  }
  pause(): void {}
  resume(): void {}
}

function request(origin: string, method: string, body: BodySource | null = null): UpstreamRequest {
  return {
    origin,
    poolKey: origin,
    tls: null,
    method,
    pathAndQuery: '/x',
    headers: ['host', 'upstream.test'],
    body,
    connectTimeoutMs: 2_000,
    headersTimeoutMs: 5_000,
    bodyTimeoutMs: 5_000,
  };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('UndiciUpstreamClient', () => {
  let client: UndiciUpstreamClient;
  const servers: Server[] = [];

  beforeEach(() => {
    client = new UndiciUpstreamClient({ connections: 4, keepAliveTimeoutMs: 10_000 });
  });

  afterEach(async () => {
    await client.close(true);
    for (const server of servers.splice(0)) server.close();
  });

  async function serve(onConnection: (socket: Socket) => void): Promise<string> {
    const { server, origin } = await rawServer(onConnection);
    servers.push(server);
    return origin;
  }

  it('hands the response head over as received: repeated Set-Cookie kept apart and in order, names lower-cased, latin1 bytes intact', async () => {
    const origin = await serve((socket) =>
      onHead(socket, () =>
        socket.write(
          Buffer.from(
            'HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nX-Mixed-Case: Value\r\nSet-Cookie: b=2\r\nX-Latin: caf\xe9\r\nContent-Length: 2\r\n\r\nok',
            'latin1',
          ),
        ),
      ),
    );
    const recorder = new Recorder();
    client.dispatch(request(origin, 'GET'), recorder);
    await recorder.settled;
    expect(recorder.ended).toBe(true);
    expect(recorder.status).toBe(200);
    expect(recorder.headers).toEqual(['set-cookie', 'a=1', 'x-mixed-case', 'Value', 'set-cookie', 'b=2', 'x-latin', 'caf\u00e9', 'content-length', '2']);
    expect(recorder.bytes).toBe(2);
  });

  it.each([
    ['no name repeats', 'Server: raw\r\nX-B: 2\r\nX-A: 1\r\n', ['server', 'raw', 'x-b', '2', 'x-a', '1']],
    ['a name that starts with a digit', 'X-B: 2\r\n1-Odd: yes\r\nX-A: 1\r\n', ['x-b', '2', '1-odd', 'yes', 'x-a', '1']],
    ['a repeated name, any casing', 'Vary: a\r\nX-A: 1\r\nVARY: b\r\n', ['vary', 'a', 'x-a', '1', 'vary', 'b']],
  ])('keeps the received header order with %s', async (_case, lines, expected) => {
    const origin = await serve((socket) => onHead(socket, () => socket.write(`HTTP/1.1 200 OK\r\n${lines}Content-Length: 0\r\n\r\n`)));
    const recorder = new Recorder();
    client.dispatch(request(origin, 'GET'), recorder);
    await recorder.settled;
    expect(recorder.headers).toEqual([...expected, 'content-length', '0']);
  });

  it('does not forward a 1xx interim response', async () => {
    const origin = await serve((socket) =>
      onHead(socket, () => socket.write('HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 204 No Content\r\nX-Final: yes\r\n\r\n')),
    );
    const recorder = new Recorder();
    client.dispatch(request(origin, 'GET'), recorder);
    await recorder.settled;
    expect(recorder.status).toBe(204);
    expect(recorder.headers).toEqual(['x-final', 'yes']);
  });

  it('stops reading the upstream while the consumer asks for a pause, and goes on when resumed', async () => {
    const total = 8 * 1024 * 1024;
    const origin = await serve((socket) =>
      onHead(socket, () => {
        socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
        socket.end(Buffer.alloc(total, 0x61));
      }),
    );
    const recorder = new Recorder();
    recorder.accept = false;
    client.dispatch(request(origin, 'GET'), recorder);
    while (recorder.chunks === 0) await sleep(5);
    await sleep(200);
    // One chunk asked for the pause; nothing more came while paused.
    expect(recorder.chunks).toBe(1);
    expect(recorder.ended).toBe(false);
    recorder.accept = true;
    recorder.flow!.resume();
    await recorder.settled;
    expect(recorder.ended).toBe(true);
    expect(recorder.bytes).toBe(total);
  });

  it('reports a refused connection as not sent', async () => {
    const { server, origin } = await rawServer(() => undefined);
    server.close();
    await once(server, 'close');
    const recorder = new Recorder();
    client.dispatch(request(origin, 'POST'), recorder);
    await recorder.settled;
    expect(recorder.failure).toMatchObject({ kind: 'connect_refused', requestSent: false });
  });

  it('reports a reset after a bodiless request head as sent', async () => {
    const origin = await serve((socket) => onHead(socket, () => socket.destroy()));
    const recorder = new Recorder();
    client.dispatch(request(origin, 'GET'), recorder);
    await recorder.settled;
    expect(recorder.failure).toMatchObject({ kind: 'reset', requestSent: true });
  });

  it('reports a reset before any body byte as not sent (undici writes the head with the first chunk), and after one as sent', async () => {
    const early = await serve((socket) => setTimeout(() => socket.destroy(), 100));
    const unsent = new ManualBody();
    const first = new Recorder();
    client.dispatch(request(early, 'POST', unsent), first);
    await first.settled;
    expect(unsent.started).toBe(true);
    expect(first.failure).toMatchObject({ kind: 'reset', requestSent: false });

    const late = await serve((socket) => onHead(socket, () => socket.destroy()));
    const sent = new ManualBody();
    const second = new Recorder();
    client.dispatch(request(late, 'POST', sent), second);
    while (sent.sink === null) await sleep(5);
    sent.sink.onBodyChunk(Buffer.from('part of the body'));
    await second.settled;
    expect(second.failure).toMatchObject({ kind: 'reset', requestSent: true });
  });

  it('closes the pools of origins no longer in use, whatever their connect timeouts, and keeps the others', async () => {
    const closed = new Map<string, number>();
    const origins: string[] = [];
    for (const name of ['kept', 'dropped']) {
      closed.set(name, 0);
      origins.push(
        await serve((socket) => {
          socket.on('close', () => closed.set(name, closed.get(name)! + 1));
          const answer = (): void => onHead(socket, () => {
            socket.write('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n');
            answer();
          });
          answer();
        }),
      );
    }
    const [kept, dropped] = origins;
    for (const [origin, connectTimeoutMs] of [[kept, 1_000], [dropped, 1_000], [dropped, 2_000]] as const) {
      const recorder = new Recorder();
      client.dispatch({ ...request(origin, 'GET'), connectTimeoutMs }, recorder);
      await recorder.settled;
      expect(recorder.status).toBe(200);
    }
    client.retainOnly(new Set([kept]));
    for (let i = 0; i < 100 && closed.get('dropped')! < 2; i++) await sleep(10);
    expect(closed.get('dropped')).toBe(2);
    expect(closed.get('kept')).toBe(0);
    const again = new Recorder();
    client.dispatch(request(dropped, 'GET'), again);
    await again.settled;
    expect(again.status).toBe(200);
  });

  it('sends nothing when aborted before a connection is there, and reports nothing after', async () => {
    let connections = 0;
    const origin = await serve((socket) => {
      connections++;
      onHead(socket, () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'));
    });
    const recorder = new Recorder();
    const call = client.dispatch(request(origin, 'GET'), recorder);
    call.abort();
    await sleep(150);
    expect(recorder.status).toBe(0);
    expect(recorder.failure).toBeNull();
    expect(recorder.ended).toBe(false);
    expect(connections).toBeLessThanOrEqual(1);
  });
});

describe('headerListOf', () => {
  it('reads the parsed object when undici gives no received list: repeats come out together', () => {
    expect(headerListOf(null, { 'set-cookie': ['a=1', 'b=2'], 'x-a': '1', gone: undefined })).toEqual(['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-a', '1']);
  });

  it('decodes a received list of strings as well as of buffers', () => {
    expect(headerListOf(['X-A', '1', 'x-a', '2'], { 'x-a': ['1', '2'] })).toEqual(['x-a', '1', 'x-a', '2']);
  });
});
