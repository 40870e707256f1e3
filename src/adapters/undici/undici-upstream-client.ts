import { Pool, type Dispatcher } from 'undici';
import type {
  UpstreamCall,
  UpstreamClient,
  UpstreamFlow,
  UpstreamRequest,
  UpstreamResponseHandler,
  UpstreamUpgradeHandler,
} from '../../ports/upstream-client';
import type { UpgradedStream } from '../../ports/upgraded-stream';
import { BodySourceReadable } from './body-source-readable';
import { classifyUpstreamError } from '../http-common/upstream-failures';
import { tlsConnectOptions } from '../http-common/upstream-tls-options';

export interface UndiciPoolTuning {
  /** Max sockets per origin. */
  readonly connections: number;
  readonly keepAliveTimeoutMs: number;
}

/** undici's parsed header object (`ParsedHeaders` in its types, not exported by name). */
type ParsedHeaders = Record<string, string | string[] | undefined>;

const DEFAULT_TUNING: UndiciPoolTuning = { connections: 256, keepAliveTimeoutMs: 4_000 };

/**
 * UpstreamClient on undici `Pool#dispatch`: one pool per (pool key, connect timeout), kept across
 * requests and config reloads. The pool key is the origin plus, for https, the id of the TLS
 * settings (CA text, SNI name, verification), so a changed CA file makes new pools on reload. A dispatch handler rather than `request()`, so the raw response
 * headers are at hand and no promise or stream is created per response.
 */
export class UndiciUpstreamClient implements UpstreamClient {
  /** Pools by pool key, then by connect timeout (no key string is built per request). */
  private readonly pools = new Map<string, Map<number, Pool>>();

  constructor(private readonly tuning: UndiciPoolTuning = DEFAULT_TUNING) {}

  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall {
    const body = request.body === null ? null : new BodySourceReadable(request.body);
    const call = new UndiciCall(handler, body);
    const pool = this.poolFor(request, request.connectTimeoutMs);
    // undici's request options take `servername` (the SNI name) though its types do not list it.
    const options: Dispatcher.DispatchOptions & { servername?: string } = {
      // Always the configured name: left out, undici would take the SNI name from the Host
      // header (the client's own with preserve_host).
      servername: request.tls?.serverName ?? undefined,
      path: request.pathAndQuery,
      method: request.method,
      headers: request.headers as string[],
      body,
      headersTimeout: request.headersTimeoutMs,
      bodyTimeout: request.bodyTimeoutMs,
    };
    pool.dispatch(options, call);
    return call;
  }

  upgrade(request: UpstreamRequest, handler: UpstreamUpgradeHandler): UpstreamCall {
    const call = new UndiciCall(handler, null, handler);
    this.poolFor(request, request.connectTimeoutMs).dispatch(
      {
        path: request.pathAndQuery,
        method: 'GET',
        headers: request.headers as string[],
        upgrade: 'websocket',
        headersTimeout: request.headersTimeoutMs,
        bodyTimeout: request.bodyTimeoutMs,
      },
      call,
    );
    return call;
  }

  retainOnly(keep: ReadonlySet<string>): void {
    for (const [poolKey, byTimeout] of this.pools) {
      if (keep.has(poolKey)) continue;
      this.pools.delete(poolKey);
      // close() lets in-flight requests finish before the sockets go.
      for (const pool of byTimeout.values()) void pool.close().catch(() => undefined);
    }
  }

  async close(abortInFlight = false): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const byTimeout of this.pools.values()) {
      for (const pool of byTimeout.values()) closing.push((abortInFlight ? pool.destroy() : pool.close()).catch(() => undefined));
    }
    this.pools.clear();
    await Promise.all(closing);
  }

  private poolFor(request: UpstreamRequest, connectTimeoutMs: number): Pool {
    let byTimeout = this.pools.get(request.poolKey);
    if (byTimeout === undefined) {
      byTimeout = new Map();
      this.pools.set(request.poolKey, byTimeout);
    }
    let pool = byTimeout.get(connectTimeoutMs);
    if (pool === undefined) {
      pool = new Pool(request.origin, {
        connections: this.tuning.connections,
        pipelining: 1,
        keepAliveTimeout: this.tuning.keepAliveTimeoutMs,
        connectTimeout: connectTimeoutMs,
        ...(request.tls === null ? {} : { connect: tlsConnectOptions(request.tls) }),
      });
      byTimeout.set(connectTimeoutMs, pool);
    }
    return pool;
  }
}

/**
 * One dispatch: translates undici's handler callbacks (`onRequestStart` … `onResponseError`,
 * the API undici 7 and 8 share) to the port's handler, with the controller for flow control.
 */
class UndiciCall implements Dispatcher.DispatchHandler, UpstreamCall, UpstreamFlow {
  /** Set when undici puts the request on a connection; null while it waits for one. */
  private controller: Dispatcher.DispatchController | null = null;
  /** A final (non-1xx) response head arrived. */
  private responded = false;
  private done = false;

  constructor(
    private readonly handler: UpstreamResponseHandler,
    private readonly body: BodySourceReadable | null,
    /** Set for upgrade requests: told of the 101 and handed the connection. */
    private readonly upgradeHandler: UpstreamUpgradeHandler | null = null,
  ) {}

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.controller?.abort(new Error('client went away'));
  }

  pause(): void {
    // Pausing follows a false from onUpstreamData (see onResponseData); nothing to do here.
  }

  resume(): void {
    this.controller?.resume();
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.done) controller.abort(new Error('client went away'));
  }

  onRequestUpgrade(_controller: Dispatcher.DispatchController, statusCode: number, headers: ParsedHeaders, socket: UpgradedStream & { destroy(): void }): void {
    if (this.done || this.upgradeHandler === null) {
      socket.destroy();
      return;
    }
    this.done = true;
    this.responded = true;
    this.upgradeHandler.onUpstreamUpgrade(statusCode, headerListOf(null, headers), socket);
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: ParsedHeaders): void {
    if (this.done) return;
    // 1xx interim responses (100 Continue from the upstream) are not forwarded.
    if (statusCode < 200) return;
    this.responded = true;
    this.handler.onUpstreamResponse(statusCode, headerListOf(controller.rawHeaders, headers), this);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.done) return;
    // undici reads on until paused; resume() (from the port's flow) lets it go on.
    if (!this.handler.onUpstreamData(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.done) return;
    this.done = true;
    this.handler.onUpstreamEnd();
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error & { code?: string }): void {
    if (this.done) return;
    this.done = true;
    this.handler.onUpstreamError({
      kind: classifyUpstreamError(error),
      requestSent: this.requestSent(),
      detail: `${error.code ?? error.name}: ${error.message}`,
    });
  }

  /**
   * Whether any byte of the request went out. undici writes the head as the request starts when
   * there is no body, and together with the first body chunk (or the end of an empty body) when
   * there is one; a body chunk undici has taken from the stream has been written. (undici 8 also
   * calls `onBodySent`/`onRequestSent` on handlers of this kind; undici 7's wrapper does not.)
   */
  private requestSent(): boolean {
    if (this.responded) return true;
    if (this.controller === null) return false;
    const body = this.body;
    return body === null || body.readableDidRead || body.readableEnded;
  }
}

/**
 * The response head as the port wants it: flat, names lower-case, repeated headers (several
 * Set-Cookie) kept as separate pairs in the order received.
 *
 * undici hands new-style handlers the head twice: parsed (an object; names lower-cased, values
 * decoded, repeats grouped) and as received (`controller.rawHeaders`, set before
 * `onResponseStart` in undici 7 and 8). When no name repeats and none starts with a digit (an
 * object lists integer-like keys first), the object holds exactly the received list in order,
 * and its strings are reused instead of decoding every header a second time; otherwise the
 * received list is decoded here.
 */
export function headerListOf(raw: Dispatcher.DispatchController['rawHeaders'], parsed: ParsedHeaders): string[] {
  const names = Object.keys(parsed);
  if (!Array.isArray(raw)) return fromParsed(names, parsed);
  if (names.length * 2 === raw.length) {
    const headers = new Array<string>(raw.length);
    let i = 0;
    for (let n = 0; n < names.length; n += 1) {
      const name = names[n];
      const value = parsed[name];
      const first = name.charCodeAt(0);
      if (typeof value !== 'string' || (first >= 48 && first <= 57)) return fromRaw(raw);
      headers[i++] = name;
      headers[i++] = value;
    }
    return headers;
  }
  return fromRaw(raw);
}

function fromRaw(raw: readonly (Buffer | string)[]): string[] {
  const headers = new Array<string>(raw.length);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    const value = raw[i + 1];
    headers[i] = (typeof name === 'string' ? name : name.toString('latin1')).toLowerCase();
    headers[i + 1] = typeof value === 'string' ? value : value.toString('latin1');
  }
  return headers;
}

/** Without a received list: repeats come out together, in the order of their first line. */
function fromParsed(names: readonly string[], parsed: ParsedHeaders): string[] {
  const headers: string[] = [];
  for (const name of names) {
    const value = parsed[name];
    if (value === undefined) continue;
    if (typeof value === 'string') headers.push(name, value);
    else for (const item of value) headers.push(name, item);
  }
  return headers;
}
