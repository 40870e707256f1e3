import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import { once } from 'node:events';
import { freeLoopbackPort } from './ports';

export interface TestBackend {
  readonly server: Server;
  readonly url: string;
  readonly port: number;
  /** Requests received so far, in order. */
  readonly received: ReceivedRequest[];
  close(): Promise<void>;
}

export interface ReceivedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
}

/** A real node:http backend on an ephemeral loopback port. */
export async function startBackend(
  handler: (req: IncomingMessage, res: ServerResponse) => void = echoHandler,
): Promise<TestBackend> {
  const received: ReceivedRequest[] = [];
  const server = createServer((req, res) => {
    received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, rawHeaders: req.rawHeaders });
    handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Answers with a JSON description of what it received. */
export function echoHandler(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
}

/** An address where nothing listens: a free port, bound and closed again (connection refused). */
export async function deadAddress(): Promise<string> {
  return `http://127.0.0.1:${await freeLoopbackPort()}`;
}

export interface TcpBackend {
  readonly server: TcpServer;
  readonly port: number;
  /** `127.0.0.1:PORT`, as a `tcp:` listener's backend. */
  readonly address: string;
  /** `http://127.0.0.1:PORT`, as an HTTP route's target. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Destroys the open connections, then closes the server. */
  close(): Promise<void>;
}

/**
 * A loopback TCP server running `onSocket` for every connection: raw backends for misbehaving
 * upstreams, and the backends of `tcp:` listeners (`allowHalfOpen`, so a half-close is observable).
 */
export async function startTcpBackend(onSocket: (socket: Socket) => void, options: { readonly allowHalfOpen?: boolean } = {}): Promise<TcpBackend> {
  let accepted = 0;
  const sockets = new Set<Socket>();
  const server = createTcpServer({ allowHalfOpen: options.allowHalfOpen ?? false }, (socket) => {
    accepted++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    onSocket(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A raw TCP backend for misbehaving-upstream cases. */
export function startRawBackend(onSocket: (socket: Socket) => void): Promise<TcpBackend> {
  return startTcpBackend(onSocket);
}

// ---------------------------------------------------------------------------------------------
// Switchable backends for health, breaker, retry and balancing tests.
// ---------------------------------------------------------------------------------------------

/**
 * What a {@link SwitchableBackend} does with a request:
 * - `'ok'`: 200 with the backend's name as the body (and `x-backend: <name>`), after reading the
 *   whole request body;
 * - a number: that status, with the name as the body;
 * - `{ status, body?, headers?, delayMs? }`: exactly that response, `delayMs` after the request
 *   body has been read;
 * - `'hang'`: reads the request body, never answers (until `releaseHeld()` or close);
 * - `'reset'`: destroys the connection as soon as the request head arrived (nothing is sent);
 * - `'reset_mid_body'`: sends a 200 head and part of a body, then destroys the connection;
 * - `{ resetAfterBodyBytes }`: reads the request body until that many bytes arrived (or it
 *   ended), then destroys the connection without answering.
 */
export type Behaviour =
  | 'ok'
  | 'hang'
  | 'reset'
  | 'reset_mid_body'
  | number
  | { readonly status: number; readonly body?: string; readonly headers?: Record<string, string>; readonly delayMs?: number }
  | { readonly resetAfterBodyBytes: number };

export interface RecordedRequest {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  /** The behaviour in force when the request arrived. */
  readonly behaviour: Behaviour;
  /** The whole request body once it has been read; null until then (or never, for resets). */
  body: string | null;
}

export interface SwitchableBackend {
  readonly name: string;
  readonly url: string;
  readonly port: number;
  /** Every request received, in arrival order (recorded when its head arrives). */
  readonly received: RecordedRequest[];
  /** Behaviour for every path without its own `setPath` rule. */
  set(behaviour: Behaviour): void;
  /** Behaviour for one exact path (query string ignored); overrides `set`. */
  setPath(path: string, behaviour: Behaviour): void;
  /** Requests received so far whose path is `path` (or, for a function, that match it). */
  count(filter?: string | ((request: RecordedRequest) => boolean)): number;
  /**
   * Resolves once at least `n` requests matching `filter` have arrived since the request with
   * index `since` (default 0). Rejects after `timeoutMs` so a test never waits forever.
   */
  waitFor(filter: string | ((request: RecordedRequest) => boolean), n?: number, since?: number, timeoutMs?: number): Promise<void>;
  /** Answers every request held by `'hang'` with 200 and the name. */
  releaseHeld(): void;
  /** Requests currently held by `'hang'`. */
  readonly heldCount: number;
  /** Stops listening and destroys every open connection: new connections are refused. */
  refuse(): Promise<void>;
  /** Listens again on the same port after `refuse()`. */
  accept(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A real node:http backend on an ephemeral loopback port whose behaviour can be switched at
 * runtime (healthy, a status, hang, reset, refuse) and that records every request it gets.
 */
export async function startSwitchableBackend(name: string, initial: Behaviour = 'ok'): Promise<SwitchableBackend> {
  const received: RecordedRequest[] = [];
  const byPath = new Map<string, Behaviour>();
  let fallback: Behaviour = initial;
  let listening = false;
  const held = new Set<ServerResponse>();
  const waiters: { check: () => boolean; resolve: () => void }[] = [];

  const matches = (filter: string | ((request: RecordedRequest) => boolean)) =>
    typeof filter === 'string' ? (request: RecordedRequest) => request.path === filter : filter;

  const notify = (): void => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].check()) waiters.splice(i, 1)[0].resolve();
    }
  };

  const server = createServer((req, res) => {
    const url = req.url ?? '';
    const path = url.split('?')[0];
    const behaviour = byPath.get(path) ?? fallback;
    const record: RecordedRequest = { method: req.method ?? '', path, url, headers: req.headers, behaviour, body: null };
    received.push(record);
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    if (behaviour === 'reset') {
      req.socket.destroy();
      notify();
      return;
    }
    const chunks: Buffer[] = [];
    let bodyBytes = 0;
    const resetAfter = typeof behaviour === 'object' && 'resetAfterBodyBytes' in behaviour ? behaviour.resetAfterBodyBytes : -1;
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      bodyBytes += chunk.byteLength;
      if (resetAfter >= 0 && bodyBytes >= resetAfter) req.socket.destroy();
    });
    req.on('end', () => {
      record.body = Buffer.concat(chunks).toString('utf8');
      notify();
      if (resetAfter >= 0) {
        req.socket.destroy();
        return;
      }
      respond(behaviour, res);
    });
    notify();
  });

  function respond(behaviour: Behaviour, res: ServerResponse): void {
    if (behaviour === 'hang') {
      held.add(res);
      res.on('close', () => held.delete(res));
      return;
    }
    if (behaviour === 'reset_mid_body') {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000', 'x-backend': name });
      res.write('x'.repeat(1000), () => setImmediate(() => res.socket?.destroy()));
      return;
    }
    if (behaviour === 'ok' || typeof behaviour === 'number') {
      res.writeHead(behaviour === 'ok' ? 200 : behaviour, { 'content-type': 'text/plain', 'x-backend': name });
      res.end(name);
      return;
    }
    if (typeof behaviour === 'object' && 'status' in behaviour) {
      if (behaviour.delayMs !== undefined && behaviour.delayMs > 0) {
        const delayed = { ...behaviour, delayMs: 0 };
        const timer = setTimeout(() => respond(delayed, res), behaviour.delayMs);
        res.on('close', () => clearTimeout(timer));
        return;
      }
      res.writeHead(behaviour.status, { 'content-type': 'text/plain', 'x-backend': name, ...behaviour.headers });
      res.end(behaviour.body ?? name);
    }
  }

  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  listening = true;
  const port = (server.address() as AddressInfo).port;

  return {
    name,
    port,
    url: `http://127.0.0.1:${port}`,
    received,
    set(behaviour) {
      fallback = behaviour;
    },
    setPath(path, behaviour) {
      byPath.set(path, behaviour);
    },
    count(filter) {
      if (filter === undefined) return received.length;
      return received.filter(matches(filter)).length;
    },
    waitFor(filter, n = 1, since = 0, timeoutMs = 5_000) {
      const match = matches(filter);
      const check = (): boolean => received.slice(since).filter(match).length >= n;
      if (check()) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => {
          const index = waiters.findIndex((w) => w.resolve === done);
          if (index !== -1) waiters.splice(index, 1);
          reject(new Error(`backend ${name}: fewer than ${n} matching requests after ${timeoutMs} ms (got ${received.slice(since).filter(match).length})`));
        }, timeoutMs);
        // A waiter that lost a race must not keep the test process alive.
        timer.unref();
        const done = (): void => {
          clearTimeout(timer);
          resolve();
        };
        waiters.push({ check, resolve: done });
      });
    },
    releaseHeld() {
      for (const res of held) {
        res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': name });
        res.end(name);
      }
      held.clear();
    },
    get heldCount() {
      return held.size;
    },
    async refuse() {
      if (!listening) return;
      listening = false;
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
    async accept() {
      if (listening) return;
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      listening = true;
    },
    async close() {
      for (const res of held) res.socket?.destroy();
      held.clear();
      if (!listening) return;
      listening = false;
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}

/**
 * Polls `check` up to `attempts` times, `pauseMs` apart, until it returns a truthy value, and
 * returns that value; throws when it never does. For conditions no event announces (a timed
 * ejection or open circuit running out), polled with real requests.
 */
export async function pollUntil<T>(
  check: () => Promise<T | null | undefined | false>,
  options: { attempts?: number; pauseMs?: number; what?: string } = {},
): Promise<T> {
  const attempts = options.attempts ?? 200;
  for (let i = 0; i < attempts; i++) {
    const value = await check();
    if (value) return value;
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 25));
  }
  throw new Error(`condition not met after ${attempts} attempts: ${options.what ?? 'poll'}`);
}

/**
 * The first log line of `prox` at or after index `from` with this `msg` that satisfies `where`,
 * awaiting it if it has not been printed yet; rejects after `timeoutMs`. Unlike a loop over
 * `nextLog`, no line can slip by between two waits: the whole log is scanned each time.
 */
export async function waitForLog(
  prox: { readonly logs: Record<string, unknown>[]; nextLog(msg: string): Promise<Record<string, unknown>> },
  msg: string,
  where: (line: Record<string, unknown>) => boolean = () => true,
  from = 0,
  timeoutMs = 5_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = prox.logs.slice(from).find((line) => line.msg === msg && where(line));
    if (found !== undefined) return found;
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw new Error(`no "${msg}" log line matching the condition within ${timeoutMs} ms`);
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      prox.nextLog(msg),
      new Promise((resolve) => (timer = setTimeout(resolve, remaining))),
    ]);
    clearTimeout(timer);
  }
}
