import { readFileSync } from 'node:fs';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa } from '../support/certificates';
import { startProx, type ProxProcess } from '../support/prox-process';
import { openRawConnection, requestHead, type RawConnection, type RawConnectOptions } from '../support/raw-connection';
import { describeEachEngine } from '../support/engines';

/**
 * limits.header_timeout_secs, body_timeout_secs, keepalive_timeout_secs, max_connections and
 * max_connections_per_ip against raw-socket clients that misbehave on purpose, on each inbound
 * engine and on the TLS listener. Timeouts are set to 1 s so the server's clock drives the test;
 * the test only awaits the close and asserts what was answered, never how long it took.
 *
 * µWebSockets has a fixed 10 s idle timeout and no hook on accepted connections
 * (docs/http-semantics.md): on it, slow heads and idle keep-alive connections are closed by that
 * timeout without an answer, and the connection caps are not enforced.
 */

/** Safety net only: the server closes long before (1 s, or µWS's fixed 10 s). */
const CLOSE_SAFETY_NET_MS = 40_000;
/** A request head longer than any header timeout lets a byte-per-100-ms client finish. */
const SLOW_HEAD = requestHead('GET', '/api/slow', [`X-Padding: ${'p'.repeat(400)}`]);

let backend: TestBackend;

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend?.close();
});

const TIMEOUT_LIMITS = ['limits:', '  header_timeout_secs: 1', '  body_timeout_secs: 1', '  keepalive_timeout_secs: 1'];

function routesTo(target: string): string[] {
  return ['routes:', '  "/api":', '    type: proxy', `    target: "${target}"`];
}

async function servedOnNewConnection(port: number, options: RawConnectOptions = {}): Promise<string> {
  const client = await openRawConnection(port, options);
  client.socket.write(requestHead('GET', '/api/still-serving', ['Connection: close']));
  await client.closed;
  return client.received();
}

/** Status code of the first response on a connection, or null when nothing was answered. */
function firstStatus(text: string): number | null {
  const match = /^HTTP\/1\.1 (\d{3}) /.exec(text);
  return match === null ? null : Number(match[1]);
}

describeEachEngine(['llhttp', 'node', 'uws'], 'timeouts on the %s engine', (engine) => {
  let prox: ProxProcess;

  beforeAll(async () => {
    prox = await startProx(['listen_addr: "127.0.0.1:0"', ...TIMEOUT_LIMITS, ...routesTo(backend.url)].join('\n'), { PROX_HTTP_SERVER: engine });
  });

  afterAll(async () => {
    await prox?.stop();
  });

  it('closes a client that dribbles its request head one byte at a time, and keeps serving others', async () => {
    const slow = await openRawConnection(prox.port);
    const written = await slow.dribble(SLOW_HEAD, 100);
    await slow.closed;
    // Closed by the server before the head was complete.
    expect(written).toBeLessThan(SLOW_HEAD.length);
    // llhttp and node:http answer 408; µWebSockets closes silently at its fixed idle timeout.
    expect(firstStatus(slow.received())).toBe(engine === 'uws' ? null : 408);
    expect(backend.received.some((request) => request.url === '/api/slow')).toBe(false);
    expect(firstStatus(await servedOnNewConnection(prox.port))).toBe(200);
  }, CLOSE_SAFETY_NET_MS + 10_000);

  it('answers 408 and closes when a request body stops arriving, and keeps serving others', async () => {
    const stalled = await openRawConnection(prox.port);
    stalled.socket.write(requestHead('POST', '/api/upload', ['Content-Length: 100000']) + 'only the first bytes');
    await stalled.closed;
    expect(firstStatus(stalled.received())).toBe(408);
    expect(stalled.received()).toContain('"error":"request_timeout"');
    expect(firstStatus(await servedOnNewConnection(prox.port))).toBe(200);
  }, CLOSE_SAFETY_NET_MS);

  it('closes an idle keep-alive connection after its response', async () => {
    const idle = await openRawConnection(prox.port);
    idle.socket.write(requestHead('GET', '/api/then-idle'));
    await idle.waitFor(/\r\n\r\n[\s\S]*"url":"\/api\/then-idle"/);
    expect(idle.isClosed()).toBe(false);
    await idle.closed;
    expect(firstStatus(idle.received())).toBe(200);
    // Exactly one response: the server closed an idle connection, not a request.
    expect(idle.received().match(/HTTP\/1\.1 /g)).toHaveLength(1);
  }, CLOSE_SAFETY_NET_MS);

  it('closes a connection whose upgrade request was answered with a plain response (found by the request fuzzer)', async () => {
    const refused = await openRawConnection(prox.port);
    refused.socket.write(
      requestHead('GET', '/api/not-a-websocket-backend', ['Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13']),
    );
    await refused.closed;
    expect(firstStatus(refused.received())).toBe(200);
  }, CLOSE_SAFETY_NET_MS);
});

describe.each(['llhttp', 'node'])('connection caps on the %s engine', (engine) => {
  let prox: ProxProcess;
  const held: RawConnection[] = [];

  beforeAll(async () => {
    prox = await startProx(
      ['listen_addr: "127.0.0.1:0"', 'limits:', '  max_connections: 5', '  max_connections_per_ip: 3', ...routesTo(backend.url)].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    for (const connection of held) connection.destroy();
    await prox?.stop();
  });

  /** A connection that got an answer and stays open (keep-alive), counting against the caps. */
  async function holdServedConnection(localAddress: string): Promise<RawConnection> {
    const connection = await openRawConnection(prox.port, { localAddress });
    held.push(connection);
    connection.socket.write(requestHead('GET', `/api/held-${held.length}`));
    await connection.waitFor(/"url":"\/api\/held-\d+"/);
    return connection;
  }

  async function refusedConnection(localAddress: string): Promise<RawConnection> {
    const connection = await openRawConnection(prox.port, { localAddress });
    connection.socket.write(requestHead('GET', '/api/over-the-cap'));
    await connection.closed;
    return connection;
  }

  it('refuses connections over the per-address cap, then over the total cap, and keeps serving admitted ones', async () => {
    for (let i = 0; i < 3; i++) await holdServedConnection('127.0.0.2');
    expect((await refusedConnection('127.0.0.2')).received()).toBe('');

    // Another address is still admitted, up to the total cap of 5.
    for (let i = 0; i < 2; i++) await holdServedConnection('127.0.0.3');
    expect((await refusedConnection('127.0.0.4')).received()).toBe('');
    expect(backend.received.some((request) => request.url === '/api/over-the-cap')).toBe(false);

    // Admitted connections go on being served.
    held[0].socket.write(requestHead('GET', '/api/after-refusals'));
    await held[0].waitFor(/"url":"\/api\/after-refusals"/);

    // Once clients leave, new connections are admitted again (the server notices the closes on its own time).
    for (const connection of held.splice(0)) {
      connection.destroy();
      await connection.closed;
    }
    let answer = '';
    for (let attempt = 0; attempt < 50 && firstStatus(answer) !== 200; attempt++) {
      answer = await servedOnNewConnection(prox.port, { localAddress: '127.0.0.2' });
    }
    expect(firstStatus(answer)).toBe(200);
  }, 30_000);
});

describe('limits on the TLS listener', () => {
  let prox: ProxProcess;
  let ca: Buffer;
  const held: RawConnection[] = [];

  beforeAll(async () => {
    const authority = makeTestCa();
    const certificate = authority.issue('main', ['main.test']);
    ca = readFileSync(authority.certPath);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'tls:',
        `  cert_path: "${certificate.certPath}"`,
        `  key_path: "${certificate.keyPath}"`,
        ...TIMEOUT_LIMITS,
        '  max_connections_per_ip: 2',
        ...routesTo(backend.url),
      ].join('\n'),
    );
  });

  afterAll(async () => {
    for (const connection of held) connection.destroy();
    await prox?.stop();
  });

  it('answers 408 to a head dribbled over TLS and 408 to a stalled body', async () => {
    const slow = await openRawConnection(prox.port, { tls: { ca, servername: 'main.test' }, localAddress: '127.0.0.5' });
    const written = await slow.dribble(SLOW_HEAD, 100);
    await slow.closed;
    expect(written).toBeLessThan(SLOW_HEAD.length);
    expect(firstStatus(slow.received())).toBe(408);

    const stalled = await openRawConnection(prox.port, { tls: { ca, servername: 'main.test' }, localAddress: '127.0.0.5' });
    stalled.socket.write(requestHead('POST', '/api/upload', ['Content-Length: 100000']) + 'partial');
    await stalled.closed;
    expect(firstStatus(stalled.received())).toBe(408);
  }, CLOSE_SAFETY_NET_MS);

  it('closes a connection over the per-address cap before its handshake', async () => {
    const tls = { ca, servername: 'main.test' };
    for (let i = 0; i < 2; i++) {
      const connection = await openRawConnection(prox.port, { tls, localAddress: '127.0.0.6' });
      held.push(connection);
      expect(connection.isClosed()).toBe(false);
    }
    const refused = await openRawConnection(prox.port, { tls, localAddress: '127.0.0.6' });
    await refused.closed;
    expect(refused.received()).toBe('');
    // A held connection is still served.
    held[0].socket.write(requestHead('GET', '/api/over-tls'));
    await held[0].waitFor(/"url":"\/api\/over-tls"/);
  }, 30_000);
});
