import type { Socket } from 'node:net';
import { BaseExchange, byteLengthOf } from '../http-common/base-exchange';
import type { BodyLimits } from '../http-common/inbound-body';
import { CLOSE_FIELDS, Framing, responseHead } from './response-head';

/** What an exchange needs from the connection it runs on. */
export interface ExchangeConnection {
  readonly socket: Socket;
  /** No further request may be served on this connection (server stopping, a parse error queued behind). */
  readonly closing: boolean;
  /** The connection fields of a response that keeps the connection (see keepAliveFields). */
  readonly keepAliveFields: string;
  /** The response is written in full; `close` when the connection must end after it. */
  responseDone(exchange: Http1Exchange, close: boolean): void;
  /** The connection must close after the current response and serve nothing pipelined. */
  markClosing(): void;
  pauseReading(): void;
  resumeReading(): void;
}

const CRLF = '\r\n';
const LAST_CHUNK = '0\r\n\r\n';

/**
 * One request/response on a connection of prox's own HTTP/1.1 server. The response head is
 * built here as one string and goes out with the first body bytes in one corked write; a
 * streamed body of unknown length is chunked for HTTP/1.1 clients and delimited by the
 * connection's end for HTTP/1.0 ones. Flow control: `write` returns the socket's verdict and
 * the connection's 'drain' calls `writable`.
 */
export class Http1Exchange extends BaseExchange {
  /** The request message was parsed to its end (the body, if any, is complete). */
  requestComplete = false;
  /** `startResponse` ran: `write`/`end` go to the socket. */
  private streaming = false;
  private framing: Framing = Framing.None;
  /** Announced length of a streamed body; null when unknown. */
  private totalLength: number | null = null;
  /** A streamed response's head, held until the first body bytes so both leave in one write. */
  private pendingHead: string | null = null;
  /** The whole response is handed to the socket (ended, or answered in one piece). */
  private responseEnded = false;
  /** Written before the handler runs: the client sent `Expect: 100-continue`. */
  readonly expectsContinue: boolean;

  constructor(
    private readonly connection: ExchangeConnection,
    /** The client speaks HTTP/1.0: no chunked coding. */
    private readonly http10: boolean,
    method: string,
    path: string,
    query: string,
    hostname: string,
    authority: string,
    headers: readonly string[],
    remoteAddress: string,
    hasBody: boolean,
    bodyLimits: BodyLimits,
    connectionClose: boolean,
    expectsContinue: boolean,
  ) {
    super(method, path, query, hostname, authority, headers, remoteAddress, 'http', 'http/1.1', null, hasBody, bodyLimits, connectionClose);
    this.expectsContinue = expectsContinue;
  }

  // ---- from the connection ----------------------------------------------------------------

  acceptBody(chunk: Buffer): void {
    this.inboundBody?.accept(chunk);
  }

  finishBody(): void {
    this.requestComplete = true;
    this.inboundBody?.finish();
  }

  /** The client is gone (the socket closed, or the client closed its side). */
  connectionClosed(): void {
    if (this.responseEnded) return;
    // Over before the body's failure is reported: an answer to it must not reach a half-closed socket.
    const wasDone = this.done;
    this.done = true;
    this.clientLeft();
    if (!wasDone) this.tellClientGone();
  }

  /** This request's body asked the connection to stop reading. */
  get bodyPaused(): boolean {
    return this.inboundBody?.readingIsPaused ?? false;
  }

  /** The socket drained after `write` returned false. */
  writable(): void {
    if (this.streaming && !this.done) this.tellWritable();
  }

  // ---- BodyConnection ---------------------------------------------------------------------

  pauseReading(): void {
    this.connection.pauseReading();
  }

  resumeReading(): void {
    this.connection.resumeReading();
  }

  bodyTooLarge(): void {
    // The rest of the body is still on the wire: the connection cannot be reused, and nothing
    // pipelined behind it may be served. Keep reading (and dropping) so a client blocked on
    // sending can read the answer.
    this.connectionSpent();
    this.inboundBody!.keepDraining();
  }

  bodyTimedOut(): void {
    this.connectionSpent();
    // Answered already (the body was being read and dropped): nothing is left to say.
    if (this.done) this.connection.socket.destroy();
  }

  protected override connectionSpent(): void {
    this.closeConnection = true;
    this.connection.markClosing();
  }

  // ---- HttpExchange -----------------------------------------------------------------------

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.done = true;
    this.inboundBody?.discardUnread();
    const bodiless = status === 204 || status === 304;
    let length: number | null = null;
    if (!bodiless && body !== null) length = byteLengthOf(body);
    else if (!bodiless && !this.isHead) length = 0;
    const close = this.mustClose();
    const head = responseHead(status, headers, length === null ? Framing.None : Framing.Length, length, this.connectionField(close));
    const socket = this.connection.socket;
    if (bodiless || this.isHead || body === null || length === 0) {
      socket.write(head, 'latin1');
    } else {
      this.bytesSent = length!;
      socket.cork();
      socket.write(head, 'latin1');
      socket.write(body);
      socket.uncork();
    }
    this.responseEnded = true;
    this.connection.responseDone(this, close);
  }

  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.inboundBody?.discardUnread();
    const bodiless = status === 204 || status === 304;
    const length = bodiless ? null : contentLength;
    if (bodiless || this.isHead || contentLength === 0) {
      this.done = true;
      const close = this.mustClose();
      this.connection.socket.write(responseHead(status, headers, Framing.None, length, this.connectionField(close)), 'latin1');
      this.responseEnded = true;
      this.connection.responseDone(this, close);
      return;
    }
    if (contentLength !== null) this.framing = Framing.Length;
    else if (this.http10) {
      this.framing = Framing.UntilClose;
      this.connectionSpent();
    } else this.framing = Framing.Chunked;
    this.streaming = true;
    this.totalLength = contentLength;
    this.pendingHead = responseHead(status, headers, this.framing, length, this.connectionField(this.mustClose()));
    // Usually the first body bytes follow in this same tick and carry the head; a body that
    // is slow to start (server-sent events, a long computation upstream) must not hold it back.
    process.nextTick(this.flushHead);
  }

  private readonly flushHead = (): void => {
    if (this.pendingHead === null || this.done) return;
    this.connection.socket.write(this.pendingHead, 'latin1');
    this.pendingHead = null;
  };

  write(chunk: Uint8Array): boolean {
    if (this.done || !this.streaming) return true;
    if (chunk.byteLength === 0) return true;
    this.bytesSent += chunk.byteLength;
    const socket = this.connection.socket;
    socket.cork();
    if (this.pendingHead !== null) {
      socket.write(this.pendingHead, 'latin1');
      this.pendingHead = null;
    }
    let ok: boolean;
    if (this.framing === Framing.Chunked) {
      socket.write(chunk.byteLength.toString(16) + CRLF, 'latin1');
      socket.write(chunk);
      ok = socket.write(CRLF, 'latin1');
    } else {
      ok = socket.write(chunk);
    }
    socket.uncork();
    return ok;
  }

  end(): void {
    if (this.done || !this.streaming) return;
    if (this.totalLength !== null && this.bytesSent < this.totalLength) {
      // The upstream ended short of its Content-Length: never let that pass as complete.
      this.abort();
      return;
    }
    this.done = true;
    const socket = this.connection.socket;
    const last = this.framing === Framing.Chunked ? LAST_CHUNK : null;
    if (this.pendingHead !== null) {
      socket.write(last === null ? this.pendingHead : this.pendingHead + last, 'latin1');
      this.pendingHead = null;
    } else if (last !== null) {
      socket.write(last, 'latin1');
    }
    this.responseEnded = true;
    this.connection.responseDone(this, this.mustClose());
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.connection.socket.destroy();
  }

  // ---- helpers ----------------------------------------------------------------------------

  private mustClose(): boolean {
    return this.closeConnection || this.connection.closing;
  }

  private connectionField(close: boolean): string {
    return close ? CLOSE_FIELDS : this.connection.keepAliveFields;
  }
}
