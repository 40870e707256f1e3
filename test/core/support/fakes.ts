import type { BodySource } from '../../../src/ports/body';
import type { HttpExchange, InboundRequest } from '../../../src/ports/http-server';
import type { LogFields, Logger } from '../../../src/ports/logger';
import type {
  UpstreamCall,
  UpstreamClient,
  UpstreamFlow,
  UpstreamRequest,
  UpstreamResponseHandler,
} from '../../../src/ports/upstream-client';

export type ExchangeEvent =
  | { readonly type: 'respond'; readonly status: number; readonly headers: readonly string[]; readonly body: string | Uint8Array | null }
  | { readonly type: 'startResponse'; readonly status: number; readonly headers: readonly string[]; readonly contentLength: number | null }
  | { readonly type: 'write'; readonly chunk: Uint8Array }
  | { readonly type: 'end' }
  | { readonly type: 'abort' };

/** An HttpExchange that records every call and lets the test play the client. */
export class FakeExchange implements HttpExchange {
  readonly events: ExchangeEvent[] = [];
  /** What `write` answers; set false to simulate a slow client. */
  writeAccepts = true;
  private writableCallbacks: (() => void)[] = [];
  private goneCallbacks: (() => void)[] = [];
  private done = false;
  private gone = false;

  constructor(readonly request: InboundRequest) {}

  get finished(): boolean {
    return this.done;
  }

  bytesReceived = 0;
  bytesSent = 0;

  /** Request ids sent to the client, in order (kept out of `events` so header assertions stay about the route's own headers). */
  readonly requestIds: string[] = [];

  private withoutRequestId(headers: readonly string[]): string[] {
    const kept: string[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] === 'x-request-id') this.requestIds.push(headers[i + 1]);
      else kept.push(headers[i], headers[i + 1]);
    }
    return kept;
  }

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    this.events.push({ type: 'respond', status, headers: this.withoutRequestId(headers), body });
    this.done = true;
  }

  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    this.events.push({ type: 'startResponse', status, headers: this.withoutRequestId(headers), contentLength });
  }

  write(chunk: Uint8Array): boolean {
    this.events.push({ type: 'write', chunk });
    return this.writeAccepts;
  }

  end(): void {
    this.events.push({ type: 'end' });
    this.done = true;
  }

  abort(): void {
    this.events.push({ type: 'abort' });
    this.done = true;
  }

  onWritable(callback: () => void): void {
    this.writableCallbacks.push(callback);
  }

  onClientGone(callback: () => void): void {
    // Like the uWS adapter: a listener added after the client left is called at once.
    if (this.gone) callback();
    else this.goneCallbacks.push(callback);
  }

  get clientGoneListeners(): number {
    return this.goneCallbacks.length;
  }

  /** The client became writable again: fire (once) the callbacks registered so far. */
  becomeWritable(): void {
    const callbacks = this.writableCallbacks;
    this.writableCallbacks = [];
    for (const callback of callbacks) callback();
  }

  /** The client went away: fire (once) the callbacks registered so far. */
  goAway(): void {
    this.gone = true;
    const callbacks = this.goneCallbacks;
    this.goneCallbacks = [];
    for (const callback of callbacks) callback();
  }

  eventTypes(): string[] {
    return this.events.map((e) => e.type);
  }
}

export class FakeFlow implements UpstreamFlow {
  pauses = 0;
  resumes = 0;
  pause(): void {
    this.pauses++;
  }
  resume(): void {
    this.resumes++;
  }
}

/** One dispatched upstream request; the test drives its handler. */
export class Dispatch implements UpstreamCall {
  aborts = 0;
  readonly flow = new FakeFlow();

  constructor(readonly request: UpstreamRequest, readonly handler: UpstreamResponseHandler) {}

  abort(): void {
    this.aborts++;
  }

  respond(status: number, headers: string[] = []): void {
    this.handler.onUpstreamResponse(status, headers, this.flow);
  }
}

/** An UpstreamClient that records what is dispatched and never does I/O. */
export class FakeUpstreamClient implements UpstreamClient {
  readonly dispatches: Dispatch[] = [];
  retained: ReadonlySet<string>[] = [];
  closed = false;

  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall {
    const dispatch = new Dispatch(request, handler);
    this.dispatches.push(dispatch);
    return dispatch;
  }

  upgrade(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall {
    return this.dispatch(request, handler);
  }

  retainOnly(keep: ReadonlySet<string>): void {
    this.retained.push(keep);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  get last(): Dispatch {
    const last = this.dispatches[this.dispatches.length - 1];
    if (last === undefined) throw new Error('nothing was dispatched');
    return last;
  }
}

export class RecordingLogger implements Logger {
  readonly entries: { level: 'info' | 'warn' | 'error'; message: string; fields: LogFields | undefined }[] = [];
  info(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'info', message, fields });
  }
  warn(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'warn', message, fields });
  }
  error(message: string, fields?: LogFields): void {
    this.entries.push({ level: 'error', message, fields });
  }
}

export function inboundRequest(overrides: Partial<InboundRequest> = {}): InboundRequest {
  return {
    method: 'GET',
    path: '/',
    query: '',
    hostname: 'example.com',
    authority: 'example.com',
    headers: ['host', overrides.authority ?? 'example.com'],
    remoteAddress: '203.0.113.7',
    scheme: 'http',
    body: null,
    ...overrides,
  };
}

/** A body that does nothing; only its identity matters to the pipeline. */
export function inertBody(): BodySource {
  return { start: () => undefined, pause: () => undefined, resume: () => undefined };
}
