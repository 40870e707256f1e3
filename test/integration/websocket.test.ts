import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { createServer, get as httpGet, type Server } from 'node:http';
import { get as httpsGet } from 'node:https';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { makeTestCa } from '../support/certificates';
import { availableEngines, type Engine } from '../support/engines';
import { peakRssBytes, resetPeakRss, startProx, type ProxProcess } from '../support/prox-process';

/**
 * WebSocket proxying with a real `ws` server behind prox and a real `ws` client in front, on
 * both inbound engines (node:http tunnels, µWebSockets relays) and over TLS (HTTPS/1.1).
 */
// Every engine (µWebSockets where it loads: Node 20); PROX_WS_ENGINES=node (or llhttp, uws) runs one engine's cases only.
const ENGINES = (process.env.PROX_WS_ENGINES?.split(',') ?? availableEngines()) as Engine[];

/**
 * The peak RSS growth a flood may cause when prox applies backpressure: half the flood. Buffering
 * the flood would grow RSS by all of it; flow control keeps only a window live, but the dead
 * message buffers it relayed are freed only when V8 collects, which it does once about 64 MiB of
 * external memory has piled up (Node 24 let 70 MiB pile up here), so a tighter bound is flaky.
 */
const NOT_BUFFERED_BOUND = (floodBytes: number): number => floodBytes / 2;

interface Upstream {
  readonly url: string;
  readonly server: Server;
  readonly wss: WebSocketServer;
  /** Upgrade requests as the backend saw them. */
  readonly requests: IncomingMessage[];
  /** Answers the plain requests to /ws/slow held so far (they wait until then). */
  releaseSlow(): void;
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const held: (() => void)[] = [];
  const server = createServer((req, res) => {
    if (req.url !== '/ws/slow') return res.end('plain');
    held.push(() => res.end('slow done'));
    server.emit('slow-arrived');
  });
  const requests: IncomingMessage[] = [];
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('chat.v2') ? 'chat.v2' : false) });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    requests.push(req);
    if (req.url === '/ws/refuse') {
      socket.end('HTTP/1.1 403 Forbidden\r\ncontent-type: text/plain\r\ncontent-length: 7\r\nx-why: nope\r\n\r\nrefused');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      // After 'hold:N': numbered binary messages are counted here, not echoed.
      let sink: { expected: number; next: number; wrong: number } | null = null;
      ws.on('message', (data, isBinary) => {
        if (sink !== null && isBinary) {
          const message = data as Buffer;
          if (message.length < 4 || message.readUInt32BE(0) !== sink.next) sink.wrong++;
          if (++sink.next === sink.expected) wss.emit('sink-full', sink.wrong);
          else wss.emit('sink-progress', sink.next);
          return;
        }
        const text = isBinary ? null : data.toString();
        if (text !== null && text.startsWith('hold:')) {
          // hold:N — stop reading (the test resumes it through the 'held' event), then count N messages.
          sink = { expected: Number(text.slice(5)), next: 0, wrong: 0 };
          ws.pause();
          wss.emit('held', ws);
          return;
        }
        if (text !== null && text.startsWith('flood:')) {
          // flood:N:size — N binary messages, each numbered in its first 4 bytes; 'flood-progress'
          // once the 8th has gone to the socket (prox took it, whatever the client does).
          const [, count, size] = text.split(':').map(Number);
          for (let i = 0; i < count; i++) {
            const message = Buffer.alloc(size, i & 0xff);
            message.writeUInt32BE(i, 0);
            ws.send(message, { binary: true }, i === 7 ? () => wss.emit('flood-progress') : undefined);
          }
          return;
        }
        if (text !== null && text.startsWith('big:')) {
          ws.send(Buffer.alloc(Number(text.slice(4)), 2), { binary: true });
          return;
        }
        if (text !== null && text.startsWith('close:')) {
          const [, code, reason] = text.split(':');
          ws.close(Number(code), reason);
          return;
        }
        ws.send(data, { binary: isBinary });
      });
      ws.on('close', (code, reason) => wss.emit('peer-closed', code, reason.toString()));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    wss,
    requests,
    releaseSlow: () => {
      for (const answer of held.splice(0)) answer();
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      server.closeAllConnections();
      server.close();
    },
  };
}

function configFor(upstream: string, tls: { certPath: string; keyPath: string } | null = null): string {
  return `
listen_addr: "127.0.0.1:0"
shutdown_timeout_secs: 5
${tls === null ? '' : `tls: { cert_path: "${tls.certPath}", key_path: "${tls.keyPath}" }\nprotocols: { http2_enabled: false }`}
routes:
  "/ws":
    type: proxy
    target: "${upstream}"
    request_headers: { add: { x-route: "ws" } }
    websocket: { max_message_bytes: 1024 }
  "/strict":
    type: proxy
    target: "${upstream}"
    path_rewrite: /ws
    websocket: { allowed_origins: ["https://app.example.com"] }
  "/bulk":
    type: proxy
    target: "${upstream}"
    path_rewrite: /ws
  "/down": { type: proxy, target: "http://127.0.0.1:1" }
`;
}

function open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<WebSocket> {
  const ws = new WebSocket(url, options.protocols ?? [], options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`status ${res.statusCode}`), { response: res })));
  });
}

async function refusal(url: string, headers: Record<string, string> = {}, ca?: Buffer): Promise<{ status: number; headers: IncomingMessage['headers']; body: string }> {
  const ws = new WebSocket(url, { headers, ca });
  const [, res] = (await once(ws, 'unexpected-response')) as [unknown, IncomingMessage];
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk: string) => (body += chunk));
  await once(res, 'end');
  return { status: res.statusCode ?? 0, headers: res.headers, body };
}

async function echo(ws: WebSocket, data: string | Buffer): Promise<{ data: Buffer; isBinary: boolean }> {
  ws.send(data);
  const [reply, isBinary] = (await once(ws, 'message')) as [Buffer, boolean];
  return { data: reply, isBinary };
}

function closed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return once(ws, 'close').then(([code, reason]) => ({ code: code as number, reason: (reason as Buffer).toString() }));
}

const cases: { name: string; engine: Engine; tls: boolean }[] = [
  ...ENGINES.map((engine) => ({ name: `${engine} engine`, engine, tls: false })),
  { name: 'TLS (HTTPS/1.1)', engine: 'node', tls: true },
];

describe.each(cases)('WebSocket proxying: $name', ({ engine, tls }) => {
  let upstream: Upstream;
  let prox: ProxProcess;
  let base: string;
  let ca: Buffer | undefined;

  beforeAll(async () => {
    upstream = await startUpstream();
    let certificate = null;
    if (tls) {
      const testCa = makeTestCa();
      certificate = testCa.issue('localhost', ['localhost']);
      ca = readFileSync(testCa.certPath);
    }
    prox = await startProx(configFor(upstream.url, certificate), { PROX_HTTP_SERVER: engine });
    base = tls ? `wss://localhost:${prox.port}` : `ws://127.0.0.1:${prox.port}`;
  });

  afterAll(async () => {
    await prox?.stop();
    await upstream?.close();
  });

  it('echoes text and binary, with X-Forwarded-*, the request id and request header rules upstream', async () => {
    const ws = await open(`${base}/ws/echo?x=1`, { ca, headers: { 'x-request-id': 'ws-test-1' } });
    const text = await echo(ws, 'hello');
    expect(text).toEqual({ data: Buffer.from('hello'), isBinary: false });
    const bytes = Buffer.from([0, 1, 2, 255]);
    const binary = await echo(ws, bytes);
    expect(binary).toEqual({ data: bytes, isBinary: true });
    const seen = upstream.requests[upstream.requests.length - 1];
    expect(seen.url).toBe('/ws/echo?x=1');
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(seen.headers['x-forwarded-proto']).toBe(tls ? 'https' : 'http');
    expect(seen.headers['x-request-id']).toBe('ws-test-1');
    expect(seen.headers['x-route']).toBe('ws');
    ws.close(1000, 'bye');
    expect(await closed(ws)).toEqual({ code: 1000, reason: 'bye' });
  });

  it('carries the subprotocol the upstream chose', async () => {
    const ws = await open(`${base}/ws/echo`, { ca, protocols: ['chat.v1', 'chat.v2'] });
    expect(ws.protocol).toBe('chat.v2');
    ws.close();
    await closed(ws);
  });

  it('relays close codes and reasons from the upstream and from the client', async () => {
    const ws = await open(`${base}/ws/echo`, { ca });
    ws.send('close:4001:server says');
    expect(await closed(ws)).toEqual({ code: 4001, reason: 'server says' });

    const client = await open(`${base}/ws/echo`, { ca });
    const peer = once(upstream.wss, 'peer-closed');
    // Listened for before closing: over TLS the client's own close can come before the peer's event is seen.
    const clientClosed = closed(client);
    client.close(4002, 'client says');
    expect(await peer).toEqual([4002, 'client says']);
    expect((await clientClosed).code).toBe(4002);
  });

  it('relays a refusal with its status, headers and body', async () => {
    const answer = await refusal(`${base}/ws/refuse`, {}, ca);
    expect(answer.status).toBe(403);
    expect(answer.headers['x-why']).toBe('nope');
    expect(answer.body).toBe('refused');
    expect(answer.headers['x-request-id']).toBeDefined();
  });

  it('answers 502 when the upstream is unreachable', async () => {
    expect((await refusal(`${base}/down`, {}, ca)).status).toBe(502);
  });

  it('refuses an Origin outside allowed_origins with 403 before contacting the upstream', async () => {
    const before = upstream.requests.length;
    const answer = await refusal(`${base}/strict`, { origin: 'https://evil.example.com' }, ca);
    expect(answer.status).toBe(403);
    expect(upstream.requests.length).toBe(before);
    const ws = await open(`${base}/strict`, { ca, origin: 'https://app.example.com' });
    expect((await echo(ws, 'ok')).data.toString()).toBe('ok');
    ws.close();
    await closed(ws);
  });

  it('closes with 1009 when a message is over max_message_bytes', async () => {
    const ws = await open(`${base}/ws/echo`, { ca });
    ws.send(Buffer.alloc(2048, 1));
    expect((await closed(ws)).code).toBe(1009);

    const other = await open(`${base}/ws/echo`, { ca });
    const otherClosed = closed(other);
    other.send('big:2048');
    expect((await otherClosed).code).toBe(1009);
  });

  it('loses nothing and keeps memory bounded when the client stops reading while the upstream floods', async () => {
    const count = 1024;
    const size = 256 * 1024; // 256 MiB in all, four times uWS's send limit
    const ws = await open(`${base}/bulk/echo`, { ca });
    resetPeakRss(prox.child.pid!);
    const rssBefore = peakRssBytes(prox.child.pid!);
    ws.pause();
    const progress = once(upstream.wss, 'flood-progress');
    ws.send(`flood:${count}:${size}`);
    await progress;
    let next = 0;
    let wrong = 0;
    const all = new Promise<void>((resolve) => {
      ws.on('message', (data: Buffer, isBinary: boolean) => {
        if (!isBinary || data.length !== size || data.readUInt32BE(0) !== next) wrong++;
        if (++next === count) resolve();
      });
    });
    ws.resume();
    await all;
    expect(wrong).toBe(0);
    // Not the flood's size: prox paused the upstream instead of buffering for the client.
    expect(peakRssBytes(prox.child.pid!) - rssBefore).toBeLessThan(NOT_BUFFERED_BOUND(count * size));
    const clientClosed = closed(ws);
    ws.close(1000);
    expect((await clientClosed).code).toBe(1000);
  });

  it('keeps memory bounded and loses nothing when the upstream stops reading while the client floods', async () => {
    const count = 4096;
    const size = 64 * 1024; // 256 MiB in all
    const ws = await open(`${base}/bulk/echo`, { ca });
    const held = once(upstream.wss, 'held') as Promise<[WebSocket]>;
    ws.send(`hold:${count}`);
    const [upstreamSide] = await held;
    resetPeakRss(prox.child.pid!);
    const rssBefore = peakRssBytes(prox.child.pid!);
    const full = once(upstream.wss, 'sink-full');
    // The first message written to the socket: prox is reading while the upstream does not.
    const firstTaken = new Promise<void>((resolve) => {
      for (let i = 0; i < count; i++) {
        const message = Buffer.alloc(size, i & 0xff);
        message.writeUInt32BE(i, 0);
        ws.send(message, { binary: true }, i === 0 ? () => resolve() : undefined);
      }
    });
    await firstTaken;
    upstreamSide.resume();
    if (engine === 'uws') {
      // µWS cannot stop reading a client: either everything got through in order, or past the
      // upstream's buffer cap the session ended with 1013 (try again later), never a silent loss.
      const outcome = await Promise.race([full.then(([wrong]) => ({ wrong: wrong as number, code: 0 })), closed(ws).then(({ code }) => ({ wrong: 0, code }))]);
      expect(outcome.wrong).toBe(0);
      expect([0, 1013]).toContain(outcome.code);
    } else {
      const [wrong] = await full;
      expect(wrong).toBe(0);
    }
    // Not the flood's size: prox stopped reading the client instead of buffering for the upstream.
    expect(peakRssBytes(prox.child.pid!) - rssBefore).toBeLessThan(NOT_BUFFERED_BOUND(count * size));
    if (ws.readyState === WebSocket.OPEN) {
      const clientClosed = closed(ws);
      ws.close(1000);
      await clientClosed;
    }
  });

  it('serves a plain request on a WebSocket route as HTTP', async () => {
    const request = (tls ? httpsGet : httpGet)(`${base.replace(/^ws/, 'http')}/ws/plain`, { ca });
    const [response] = (await once(request, 'response')) as [IncomingMessage];
    let body = '';
    response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
    await once(response, 'end');
    expect(body).toBe('plain');
  });

  it('counts sessions and messages in metrics', async () => {
    const ws = await open(`${base}/ws/echo`, { ca });
    await echo(ws, 'count me');
    const metrics = await (await fetch(`${prox.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/prox_websocket_connections\{route="\/ws"\} [1-9]/);
    expect(metrics).toMatch(/prox_websocket_messages_total\{route="\/ws",direction="client_to_upstream"\} [1-9]/);
    ws.close();
    await closed(ws);
  });
});

function shutdownConfig(upstream: string, timeoutSecs: number): string {
  return `
listen_addr: "127.0.0.1:0"
shutdown_timeout_secs: ${timeoutSecs}
routes:
  "/ws": { type: proxy, target: "${upstream}" }
`;
}

/**
 * A WebSocket client on a bare socket that never answers a close frame: resolves with the first
 * frame prox sends (opcode and, for a close frame, its code) and once prox has cut the connection.
 */
async function unansweringClient(port: number): Promise<{ firstFrame: Promise<{ opcode: number; code: number }>; cut: Promise<void> }> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.write('GET /ws/echo HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: upgrade\r\nsec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
  let buffered = Buffer.alloc(0);
  let headEnd = -1;
  const opened = new Promise<void>((resolveOpened, rejectOpened) => {
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (headEnd < 0 && (headEnd = buffered.indexOf('\r\n\r\n')) >= 0) {
        const head = buffered.subarray(0, headEnd).toString();
        if (!head.startsWith('HTTP/1.1 101')) rejectOpened(new Error(head));
        buffered = buffered.subarray(headEnd + 4);
        resolveOpened();
      }
      socket.emit('frame-data');
    });
  });
  const cut = once(socket, 'close').then(() => undefined);
  await opened;
  const firstFrame = new Promise<{ opcode: number; code: number }>((resolve) => {
    const check = (): void => {
      if (buffered.length < 2) return;
      const length = buffered[1] & 0x7f;
      if (buffered.length < 2 + length) return;
      socket.off('frame-data', check);
      resolve({ opcode: buffered[0] & 0x0f, code: length >= 2 ? buffered.readUInt16BE(2) : 0 });
    };
    socket.on('frame-data', check);
    check();
  });
  return { firstFrame, cut };
}

/** Resolves with the status line and headers of the first response read from `socket`. */
function readHead(socket: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let received = '';
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      socket.off('data', onData);
      resolve(received.slice(0, end));
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error(`connection closed after ${JSON.stringify(received)}`)));
  });
}

/**
 * Starts a plain request the upstream holds, then SIGTERM: resolves once prox is draining, with
 * the held request and prox's exit.
 */
async function drainBehindSlowRequest(upstream: Upstream, prox: ProxProcess): Promise<{ slow: Promise<Response>; exit: Promise<number | null> }> {
  const slowArrived = once(upstream.server, 'slow-arrived');
  const slow = fetch(`${prox.baseUrl}/ws/slow`);
  await slowArrived;
  const draining = prox.nextLog('draining');
  const exit = prox.stop();
  await draining;
  return { slow, exit };
}

describe.each(ENGINES)('WebSocket sessions at shutdown: %s engine', (engine) => {
  const env = { PROX_HTTP_SERVER: engine };

  it('lets HTTP drain while sessions run on, then waits for sessions to end on their own', async () => {
    const upstream = await startUpstream();
    const prox = await startProx(shutdownConfig(upstream.url, 60), env);
    try {
      const ws = await open(`ws://127.0.0.1:${prox.port}/ws/echo`);
      const { slow, exit } = await drainBehindSlowRequest(upstream, prox);
      expect((await echo(ws, 'during the drain')).data.toString()).toBe('during the drain');
      const waiting = prox.nextLog('waiting for websocket sessions');
      upstream.releaseSlow();
      expect(await (await slow).text()).toBe('slow done');
      await waiting;
      expect((await echo(ws, 'after the drain')).data.toString()).toBe('after the drain');
      const clientClosed = closed(ws);
      ws.close(1000, 'done');
      expect(await clientClosed).toEqual({ code: 1000, reason: 'done' });
      expect(await exit).toBe(0);
      // Ended by the client, not by prox at the timeout.
      expect(prox.logs.some((line) => line.msg === 'closing websocket sessions')).toBe(false);
    } finally {
      await upstream.close();
    }
  });

  it('answers 503 to an upgrade that arrives during the drain, refuses new connections, and HTTP still drains', async () => {
    const upstream = await startUpstream();
    const prox = await startProx(shutdownConfig(upstream.url, 60), env);
    try {
      // An upgrade request whose head is not complete yet: the connection is busy, so the
      // shutdown neither refuses nor closes it, and the request is decided during the drain.
      const late = connect(prox.port, '127.0.0.1');
      await once(late, 'connect');
      late.write('GET /ws/echo HTTP/1.1\r\nhost: 127.0.0.1\r\nupgrade: websocket\r\nconnection: upgrade\r\n');
      // prox reads the partial head before it forwards this request: those bytes were waiting
      // before this connection was even opened.
      const { slow, exit } = await drainBehindSlowRequest(upstream, prox);
      await expect(open(`ws://127.0.0.1:${prox.port}/ws/echo`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      const answer = readHead(late);
      late.write('sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n');
      expect(await answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(upstream.requests.length).toBe(0);
      upstream.releaseSlow();
      expect(await (await slow).text()).toBe('slow done');
      expect(await exit).toBe(0);
    } finally {
      await upstream.close();
    }
  });

  it('closes sessions with 1001 at shutdown_timeout_secs and cuts peers that do not answer the close', async () => {
    const upstream = await startUpstream();
    const prox = await startProx(shutdownConfig(upstream.url, 0.5), env);
    try {
      const ws = await open(`ws://127.0.0.1:${prox.port}/ws/echo`);
      await echo(ws, 'before');
      const silent = await unansweringClient(prox.port);
      const close = closed(ws);
      const exit = prox.stop();
      expect((await close).code).toBe(1001);
      expect(await silent.firstFrame).toEqual({ opcode: 8, code: 1001 });
      await silent.cut;
      expect(await exit).toBe(0);
    } finally {
      await upstream.close();
    }
  });
});

function reloadConfig(keep: string, gone: string | null, moved: string): string {
  return `
listen_addr: "127.0.0.1:0"
routes:
  "/keep": { type: proxy, target: "${keep}", path_rewrite: /ws }
  "/moved": { type: proxy, target: "${moved}", path_rewrite: /ws, websocket: { reload_grace_secs: 0.2 } }
${gone === null ? '' : `  "/gone": { type: proxy, target: "${gone}", path_rewrite: /ws, websocket: { reload_grace_secs: 0.2 } }`}
`;
}

describe.each(ENGINES)('WebSocket sessions across a reload: %s engine', (engine) => {
  it('keeps sessions whose route and backend remain, closes the others with 1001 after the grace', async () => {
    const first = await startUpstream();
    const second = await startUpstream();
    const prox = await startProx(reloadConfig(first.url, first.url, first.url), { PROX_HTTP_SERVER: engine });
    try {
      const kept = await open(`ws://127.0.0.1:${prox.port}/keep/echo`);
      const gone = await open(`ws://127.0.0.1:${prox.port}/gone/echo`);
      const moved = await open(`ws://127.0.0.1:${prox.port}/moved/echo`);
      for (const ws of [kept, gone, moved]) await echo(ws, 'before');
      const goneClosed = closed(gone);
      const movedClosed = closed(moved);
      let keptClosed = false;
      kept.on('close', () => (keptClosed = true));
      const reloaded = prox.nextLog('config reloaded');
      // /gone is removed, /moved now goes to another backend, /keep is unchanged.
      writeFileSync(prox.configFile, reloadConfig(first.url, null, second.url));
      await reloaded;
      expect(await goneClosed).toEqual({ code: 1001, reason: 'route changed by reload' });
      expect((await movedClosed).code).toBe(1001);
      expect((await echo(kept, 'after')).data.toString()).toBe('after');
      expect(keptClosed).toBe(false);
      // New sessions follow the new config.
      const fresh = await open(`ws://127.0.0.1:${prox.port}/moved/echo`);
      await echo(fresh, 'new');
      expect(second.requests.length).toBe(1);
      fresh.close();
      kept.close();
      await Promise.all([closed(fresh), closed(kept)]);
    } finally {
      await prox.stop();
      await first.close();
      await second.close();
    }
  });
});

if (ENGINES.includes('uws')) {
  describe('WebSocket relay turned off on µWebSockets (PROX_UWS_WEBSOCKET=0)', () => {
    it('forwards an upgrade request upstream as a plain request', async () => {
      const upstream = await startUpstream();
      const prox = await startProx(shutdownConfig(upstream.url, 5), { PROX_HTTP_SERVER: 'uws', PROX_UWS_WEBSOCKET: '0' });
      try {
        const answer = await refusal(`ws://127.0.0.1:${prox.port}/ws/echo`);
        expect(answer).toMatchObject({ status: 200, body: 'plain' });
        expect(upstream.requests.length).toBe(0);
      } finally {
        await prox.stop();
        await upstream.close();
      }
    });
  });
}
