import { Pool } from 'undici';
import type {
  UpstreamCall,
  UpstreamClient,
  UpstreamFlow,
  UpstreamRequest,
  UpstreamResponseHandler,
} from '../../ports/upstream-client';
import { BodySourceReadable } from './body-source-readable';
import { classifyUpstreamError } from './failure-classification';

export interface UndiciPoolTuning {
  /** Max sockets per origin. */
  readonly connections: number;
  readonly keepAliveTimeoutMs: number;
}

const DEFAULT_TUNING: UndiciPoolTuning = { connections: 256, keepAliveTimeoutMs: 4_000 };

/**
 * UpstreamClient on undici `Pool#dispatch`: one pool per (origin, connect timeout), kept across
 * requests and config reloads. Uses undici's raw handler protocol so response headers arrive
 * as raw buffers and no promise or stream is created per response.
 */
export class UndiciUpstreamClient implements UpstreamClient {
  private readonly pools = new Map<string, { origin: string; pool: Pool }>();

  constructor(private readonly tuning: UndiciPoolTuning = DEFAULT_TUNING) {}

  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall {
    const call = new UndiciCall(handler);
    const pool = this.poolFor(request.origin, request.connectTimeoutMs);
    pool.dispatch(
      {
        path: request.pathAndQuery,
        method: request.method,
        headers: request.headers as string[],
        body: request.body === null ? null : new BodySourceReadable(request.body),
        headersTimeout: request.headersTimeoutMs,
        bodyTimeout: request.bodyTimeoutMs,
      },
      call,
    );
    return call;
  }

  retainOnly(keep: ReadonlySet<string>): void {
    for (const [key, entry] of this.pools) {
      if (keep.has(entry.origin)) continue;
      this.pools.delete(key);
      // close() lets in-flight requests finish before the sockets go.
      void entry.pool.close().catch(() => undefined);
    }
  }

  async close(abortInFlight = false): Promise<void> {
    const closing = [...this.pools.values()].map((entry) =>
      (abortInFlight ? entry.pool.destroy() : entry.pool.close()).catch(() => undefined),
    );
    this.pools.clear();
    await Promise.all(closing);
  }

  private poolFor(origin: string, connectTimeoutMs: number): Pool {
    const key = origin + '|' + connectTimeoutMs;
    let entry = this.pools.get(key);
    if (entry === undefined) {
      entry = {
        origin,
        pool: new Pool(origin, {
          connections: this.tuning.connections,
          pipelining: 1,
          keepAliveTimeout: this.tuning.keepAliveTimeoutMs,
          connectTimeout: connectTimeoutMs,
        }),
      };
      this.pools.set(key, entry);
    }
    return entry.pool;
  }
}

/** One dispatch: translates undici's raw handler callbacks to the port's handler. */
class UndiciCall implements UpstreamCall, UpstreamFlow {
  private abortFn: ((error?: Error) => void) | null = null;
  private resumeFn: (() => void) | null = null;
  private requestSent = false;
  private done = false;

  constructor(private readonly handler: UpstreamResponseHandler) {}

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.abortFn?.(new Error('client went away'));
  }

  pause(): void {
    // Pausing is signalled by returning false from onData; nothing to do here.
  }

  resume(): void {
    this.resumeFn?.();
  }

  onConnect(abort: (error?: Error) => void): void {
    this.abortFn = abort;
    if (this.done) abort(new Error('client went away'));
  }

  onBodySent(): void {
    this.requestSent = true;
  }

  onRequestSent(): void {
    this.requestSent = true;
  }

  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void): boolean {
    if (this.done) return false;
    // 1xx interim responses (100 Continue from the upstream) are not forwarded.
    if (statusCode < 200) return true;
    this.requestSent = true;
    this.resumeFn = resume;
    const headers = new Array<string>(rawHeaders.length);
    for (let i = 0; i < rawHeaders.length; i += 2) {
      headers[i] = rawHeaders[i].toString('latin1').toLowerCase();
      headers[i + 1] = rawHeaders[i + 1].toString('latin1');
    }
    this.handler.onUpstreamResponse(statusCode, headers, this);
    return !this.done;
  }

  onData(chunk: Buffer): boolean {
    if (this.done) return false;
    return this.handler.onUpstreamData(chunk);
  }

  onComplete(): void {
    if (this.done) return;
    this.done = true;
    this.handler.onUpstreamEnd();
  }

  onError(error: Error & { code?: string }): void {
    if (this.done) return;
    this.done = true;
    this.handler.onUpstreamError({
      kind: classifyUpstreamError(error),
      requestSent: this.requestSent,
      detail: `${error.code ?? error.name}: ${error.message}`,
    });
  }
}
