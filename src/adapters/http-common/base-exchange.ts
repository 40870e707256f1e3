import type { WebSocketUpgrade } from '../../ports/websocket';
import type { BodySource } from '../../ports/body';
import type { HttpExchange, InboundRequest } from '../../ports/http-server';
import { BodyConnection, BodyLimits, InboundBody } from './inbound-body';

const INTERNAL_ERROR_HEADERS: readonly string[] = ['content-type', 'application/json'];
const INTERNAL_ERROR_BODY = '{"error":"internal_error","status":500}';

/**
 * What every inbound exchange shares, whatever the server under it (µWS, node:http, an HTTP/2
 * stream): the request as the adapter parsed it (with its protocol and TLS version, so every
 * exchange carries them in one shape), the request body with its flow control and
 * size limit, the once-only response and client-gone bookkeeping, and the byte counts.
 *
 * A subclass writes the response on its own connection (`respond`, `startResponse`, `write`,
 * `end`, `abort`), moves the request body (`pauseReading`, `resumeReading`, `bodyTooLarge`),
 * and reports its connection's events through `clientLeft`/`tellClientGone` and `tellWritable`.
 *
 * Every field is assigned in the constructor (the subclass's after `super`), so each exchange
 * class keeps one object shape on the hot path.
 */
export abstract class BaseExchange implements HttpExchange, InboundRequest, BodyConnection {
  /** A response has been begun; a second one is ignored. */
  protected committed = false;
  /** The response is over (ended, aborted or the client left): the connection is not written again. */
  protected done = false;
  /** The response must close the connection (client asked, or the body could not be drained). */
  closeConnection: boolean;
  /** The client went away before the response ended. */
  protected clientGone = false;
  private goneCallback: (() => void) | null = null;
  private writableCallback: (() => void) | null = null;

  protected readonly inboundBody: InboundBody | null;
  readonly body: BodySource | null;
  /** Response body bytes handed to the connection. */
  bytesSent = 0;
  /** Set by the engine when the request is a WebSocket upgrade it can proxy. */
  upgrade: WebSocketUpgrade | null = null;

  protected constructor(
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly hostname: string,
    readonly authority: string,
    readonly headers: readonly string[],
    readonly remoteAddress: string,
    readonly scheme: 'http' | 'https',
    readonly protocol: 'http/1.1' | 'h2',
    /** Negotiated TLS version (e.g. `TLSv1.3`); null on plaintext. */
    readonly tlsVersion: string | null,
    hasBody: boolean,
    bodyLimits: BodyLimits,
    connectionClose: boolean,
  ) {
    this.closeConnection = connectionClose;
    this.inboundBody = hasBody ? new InboundBody(this, bodyLimits) : null;
    this.body = this.inboundBody;
  }

  get request(): InboundRequest {
    return this;
  }

  get finished(): boolean {
    return this.done;
  }

  get bytesReceived(): number {
    return this.inboundBody === null ? 0 : this.inboundBody.bytesReceived;
  }

  protected get isHead(): boolean {
    return this.method === 'HEAD';
  }

  // ---- HttpExchange: the parts every connection does alike --------------------------------

  onClientGone(callback: () => void): void {
    if (this.clientGone) callback();
    else this.goneCallback = callback;
  }

  onWritable(callback: () => void): void {
    this.writableCallback = callback;
  }

  /** A bug on our side: answer 500 if nothing was sent yet, else cut the connection. */
  failInternally(): void {
    this.connectionSpent();
    if (this.committed) this.abort();
    else this.respond(500, INTERNAL_ERROR_HEADERS, INTERNAL_ERROR_BODY);
  }

  abstract respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void;
  abstract startResponse(status: number, headers: readonly string[], contentLength: number | null): void;
  abstract write(chunk: Uint8Array): boolean;
  abstract end(): void;
  abstract abort(): void;

  // ---- BodyConnection ---------------------------------------------------------------------

  abstract pauseReading(): void;
  abstract resumeReading(): void;
  abstract bodyTooLarge(): void;
  abstract bodyTimedOut(): void;

  // ---- for subclasses ---------------------------------------------------------------------

  /** The connection cannot serve another request after this response. */
  protected connectionSpent(): void {
    this.closeConnection = true;
  }

  /** The connection reports the client gone: a body still arriving fails as aborted. */
  protected clientLeft(): void {
    this.clientGone = true;
    this.inboundBody?.clientLeft();
  }

  /** Tells the response's owner, once, that the client went away. */
  protected tellClientGone(): void {
    const callback = this.goneCallback;
    this.goneCallback = null;
    callback?.();
  }

  /** Tells the writer, once, that the client can take more. */
  protected tellWritable(): void {
    const callback = this.writableCallback;
    this.writableCallback = null;
    callback?.();
  }
}

export function byteLengthOf(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
