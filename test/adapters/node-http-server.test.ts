import { once } from 'node:events';
import { connect } from 'node:net';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { HyperExpressHttpServer } from '../../src/adapters/hyper-express/hyper-express-http-server';
import { safeHeaderList } from '../../src/adapters/node-http/header-list';
import { NodeHttpServer } from '../../src/adapters/node-http/node-http-server';
import { Http1Server } from '../../src/adapters/http1-server/http1-server';
import { supportsReusePort } from '../../src/adapters/node-http/reuse-port';
import { createInboundServer, engineDescriber, engineProblem, httpServerChoiceProblem, resolveEngine } from '../../src/composition/http-server-choice';
import { nativeUwsBinaryLoads } from '../support/engines';
import type { BoundListener, HttpExchange, ListenSpec } from '../../src/ports/http-server';
import { RecordingLogger } from '../core/support/fakes';

const LIMITS: ListenSpec['limits'] = { maxHeaderBytes: 16384, maxHeaders: 100, maxBodyBytes: null, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: null, maxConnectionsPerIp: null };

describe('choosing the inbound engine', () => {
  it("runs llhttp (prox's own server) for engine: auto, and says why", () => {
    const engine = resolveEngine('auto', {});
    expect(engine).toMatchObject({ name: 'llhttp', configured: 'auto' });
    expect(engine.reason).toContain('answers every client');
    expect(engineProblem(engine)).toBeNull();
    const logger = new RecordingLogger();
    expect(createInboundServer(engine, logger, false)).toBeInstanceOf(Http1Server);
    expect(logger.entries).toEqual([expect.objectContaining({ level: 'info', message: 'inbound engine', fields: expect.objectContaining({ engine: 'llhttp', configured: 'auto' }) })]);
  });

  it('runs the engine the config names', () => {
    expect(resolveEngine('node', {})).toEqual({ name: 'node', configured: 'node', reason: 'engine: node' });
    expect(createInboundServer(resolveEngine('node', {}), new RecordingLogger(), false)).toBeInstanceOf(NodeHttpServer);
    expect(resolveEngine('llhttp', {})).toEqual({ name: 'llhttp', configured: 'llhttp', reason: 'engine: llhttp' });
    expect(resolveEngine('uws', {})).toEqual({ name: 'uws', configured: 'uws', reason: 'engine: uws' });
    expect(createInboundServer(resolveEngine('uws', {}), new RecordingLogger(), false)).toBeInstanceOf(HyperExpressHttpServer);
  });

  it('lets PROX_HTTP_SERVER=node|llhttp|uws override the config, and refuses anything else', () => {
    expect(resolveEngine('uws', { PROX_HTTP_SERVER: 'node' })).toEqual({ name: 'node', configured: 'uws', reason: 'PROX_HTTP_SERVER=node overrides engine: uws' });
    expect(resolveEngine('auto', { PROX_HTTP_SERVER: 'uws' })).toMatchObject({ name: 'uws', configured: 'auto' });
    expect(resolveEngine('node', { PROX_HTTP_SERVER: '' })).toMatchObject({ name: 'node' });
    expect(resolveEngine('node', { PROX_HTTP_SERVER: 'llhttp' })).toEqual({ name: 'llhttp', configured: 'node', reason: 'PROX_HTTP_SERVER=llhttp overrides engine: node' });
    expect(httpServerChoiceProblem({ PROX_HTTP_SERVER: 'node' })).toBeNull();
    expect(httpServerChoiceProblem({ PROX_HTTP_SERVER: 'NODE' })).toBe('PROX_HTTP_SERVER must be "node", "llhttp" or "uws", got "NODE"');
    expect(() => resolveEngine('auto', { PROX_HTTP_SERVER: 'uWS' })).toThrow(/must be "node", "llhttp" or "uws"/);
  });

  it('reports µWebSockets as unusable exactly where its native binary does not load', () => {
    const problem = engineProblem(resolveEngine('uws', {}));
    if (nativeUwsBinaryLoads()) expect(problem).toBeNull();
    else expect(problem).toMatch(/engine: uws asks for µWebSockets, which cannot run here/);
  });

  it('knows which Node versions can share a port between workers', () => {
    expect(supportsReusePort('20.18.0')).toBe(false);
    expect(supportsReusePort('22.11.0')).toBe(false);
    expect(supportsReusePort('22.12.0')).toBe(true);
    expect(supportsReusePort('23.0.0')).toBe(false);
    expect(supportsReusePort('23.1.0')).toBe(true);
    expect(supportsReusePort('24.0.0')).toBe(true);
  });

  it('describes for prox validate the engine the workers would run, not the single-process one', () => {
    const describe = engineDescriber({});
    expect(describe('auto', 1)).toMatchObject({ inUse: 'llhttp', configured: 'auto', problem: null });
    const workers = describe('auto', 4);
    // The same decision the worker processes make (they share the public port), on this Node.
    const decided = resolveEngine('auto', {}, true);
    expect(workers).toEqual({ inUse: decided.name, configured: 'auto', reason: decided.reason, problem: null });
    if (!supportsReusePort() && nativeUwsBinaryLoads()) {
      expect(workers).toMatchObject({ inUse: 'uws', reason: expect.stringContaining('workers: N on Node < 22.12 uses µWebSockets') });
    } else {
      expect(workers).toMatchObject({ inUse: 'llhttp', reason: expect.stringContaining('engine: auto uses llhttp') });
    }
    expect(describe('node', 4)).toMatchObject({ inUse: 'node', reason: 'engine: node' });
    expect(describe('auto', 4)).toEqual(engineDescriber({ PROX_HTTP_SERVER: '' })('auto', 4));
    expect(engineDescriber({ PROX_HTTP_SERVER: 'node' })('auto', 4)).toMatchObject({ inUse: 'node', reason: 'PROX_HTTP_SERVER=node overrides engine: auto' });
  });
});

describe('safeHeaderList', () => {
  it('drops headers node:http would refuse and keeps latin1 values', () => {
    expect(
      safeHeaderList(['x-ok', 'a b\tc', 'x-cr', 'a\rb', 'x-lf', 'a\nb', 'x-nul', 'a\0b', 'x-latin1', 'caf\u00e9', 'x-wide', '\u2603', 'bad name', 'v']),
    ).toEqual(['x-ok', 'a b\tc', 'x-latin1', 'caf\u00e9']);
  });
});

describe('NodeHttpServer', () => {
  let server: NodeHttpServer;
  let listener: BoundListener;
  let onExchange: (exchange: HttpExchange) => void;

  beforeEach(async () => {
    server = new NodeHttpServer(new RecordingLogger());
    listener = await server.listen({ host: '127.0.0.1', port: 0, limits: LIMITS }, { handle: (exchange) => onExchange(exchange) });
  });

  afterEach(async () => {
    await server.stopAccepting();
  });

  it('hands the handler the raw request: lower-case flat headers with duplicates, raw path and query, IPv4 peer', async () => {
    const seen = new Promise<HttpExchange>((resolve) => {
      onExchange = (exchange) => {
        exchange.respond(200, ['content-type', 'text/plain'], 'ok');
        resolve(exchange);
      };
    });
    const answer = await rawExchange(
      listener.port,
      'GET /a%2Fb/c?x=1&y HTTP/1.1\r\nHost: Example.COM:8080\r\nX-Dup: one\r\nx-dup: two\r\nConnection: close\r\n\r\n',
    );
    const exchange = await seen;
    expect(exchange.request.method).toBe('GET');
    expect(exchange.request.path).toBe('/a%2Fb/c');
    expect(exchange.request.query).toBe('x=1&y');
    expect(exchange.request.hostname).toBe('example.com');
    expect(exchange.request.authority).toBe('Example.COM:8080');
    expect(exchange.request.headers).toEqual(['host', 'Example.COM:8080', 'x-dup', 'one', 'x-dup', 'two', 'connection', 'close']);
    expect(exchange.request.remoteAddress).toBe('127.0.0.1');
    expect(exchange.request.body).toBeNull();
    expect(exchange.finished).toBe(true);
    expect(exchange.bytesSent).toBe(2);
    expect(answer).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answer.match(/\r\nConnection: close\r\n/gi)).toHaveLength(1);
    expect(answer.endsWith('\r\n\r\nok')).toBe(true);
  });

  it('tells a streaming producer to stop when the client is slow, and when to go on', async () => {
    const piece = new Uint8Array(1024 * 1024);
    const total = 64;
    const result = new Promise<{ stops: number; resumed: number }>((resolve) => {
      onExchange = (exchange) => {
        exchange.startResponse(200, [], piece.byteLength * total);
        let written = 0;
        let stops = 0;
        let resumed = 0;
        const pump = (): void => {
          while (written < total) {
            written++;
            if (!exchange.write(piece)) {
              stops++;
              exchange.onWritable(() => {
                resumed++;
                pump();
              });
              return;
            }
          }
          exchange.end();
          resolve({ stops, resumed });
        };
        pump();
      };
    });
    const req = httpRequest(`http://127.0.0.1:${listener.port}/big`, { agent: false });
    req.end();
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    let received = 0;
    for await (const chunk of res) received += (chunk as Buffer).length;
    expect(received).toBe(piece.byteLength * total);
    const { stops, resumed } = await result;
    expect(stops).toBeGreaterThan(0);
    expect(resumed).toBe(stops);
  });

  it('tears the connection down when a response ends short of its Content-Length', async () => {
    onExchange = (exchange) => {
      exchange.startResponse(200, [], 10);
      exchange.write(new TextEncoder().encode('12345'));
      exchange.end();
    };
    const req = httpRequest(`http://127.0.0.1:${listener.port}/short`, { agent: false });
    req.end();
    // Cut before or after the head reached the client; never a complete response.
    const outcome = await new Promise<string>((resolve) => {
      req.on('error', () => resolve('cut'));
      req.on('response', (res: IncomingMessage) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve('complete'));
        res.on('error', () => resolve('cut'));
        res.on('aborted', () => resolve('cut'));
      });
    });
    expect(outcome).toBe('cut');
  });

  it('streams a request body with pause and resume, and reports a client that leaves', async () => {
    const events: string[] = [];
    const gone = new Promise<void>((resolve) => {
      onExchange = (exchange) => {
        exchange.onClientGone(() => {
          events.push('gone');
          resolve();
        });
        exchange.request.body!.start({
          onBodyChunk: (chunk) => {
            events.push(`chunk ${chunk.byteLength}`);
            exchange.request.body!.pause();
            setImmediate(() => exchange.request.body!.resume());
          },
          onBodyEnd: () => events.push('end'),
          onBodyError: (error) => events.push(`error ${error.message}`),
        });
      };
    });
    const socket = connect(listener.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write('POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
    await waitFor(() => events.includes('chunk 10'));
    socket.destroy();
    await gone;
    expect(events).toEqual(['chunk 10', 'error client went away while sending the request body', 'gone']);
  });

  it('refuses a port another program listens on, with the usual message', async () => {
    const other = new NodeHttpServer(new RecordingLogger());
    await expect(other.listen({ host: '127.0.0.1', port: listener.port, limits: LIMITS }, { handle: () => undefined })).rejects.toThrow(
      `cannot listen on 127.0.0.1:${listener.port}: address already in use`,
    );
  });
});

async function rawExchange(port: number, payload: string): Promise<string> {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(payload);
  await once(socket, 'close');
  return text;
}

function waitFor(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => (condition() ? resolve() : void setImmediate(check));
    check();
  });
}
