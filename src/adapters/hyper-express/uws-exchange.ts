import type { HttpResponse } from 'uWebSockets.js';
import { BaseExchange, byteLengthOf } from '../http-common/base-exchange';
import { writeHeaderList } from './header-writer';
import { statusLine } from '../http-common/status-lines';
import type { BodyLimits } from '../http-common/inbound-body';

const enum BodyFraming {
  /** Nothing is streamed (HEAD, 204, 304, or already ended). */
  None,
  /** Known length: framed by uWS `tryEnd`, which writes Content-Length itself. */
  Length,
  /** Unknown length: uWS `write`, which switches to chunked transfer coding. */
  Chunked,
}

/**
 * A response body keeps flowing from the upstream while this much waits for a slow client, so
 * reading the upstream and writing the client overlap instead of taking turns.
 */
const RESPONSE_QUEUE_BYTES = 256 * 1024;

/**
 * One request/response on a µWebSockets connection, with both body directions flow-controlled.
 *
 * uWS rules this class encodes: the HttpResponse is unusable after `onAborted` or a completed
 * end; writes outside the request callback must be corked; `tryEnd` frames by length but does
 * not buffer what it could not send (the rest is re-sent from `onWritable`), while `write`
 * buffers everything and frames as chunked.
 */
export class UwsExchange extends BaseExchange {
  // `done` (BaseExchange): uWS considers the response over (ended, closed or aborted), so `res`
  // must not be touched.

  /** True while the uWS request callback is on the stack. */
  inRequestCallback = true;
  /** The client sent Connection: close; uWS then closes after the response but we still say so. */
  private readonly clientAskedClose: boolean;

  private framing = BodyFraming.None;
  private totalLength = 0;
  /** Length framing: the chunk uWS could not take whole; its unsent rest is re-sent on writable. */
  private pendingChunk: Uint8Array | null = null;
  private pendingOffset = 0;
  /** Length framing: chunks accepted while `pendingChunk` waits, sent in order after it. */
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;
  private endAfterPending = false;
  private chunkToWrite: Uint8Array | null = null;
  private lastWriteOk = true;
  /** A streamed response's status and headers, held until the first body write (see startResponse). */
  private headStatus = 0;
  private headHeaders: readonly string[] | null = null;

  constructor(
    private readonly res: HttpResponse,
    method: string,
    path: string,
    query: string,
    hostname: string,
    authority: string,
    headers: readonly string[],
    remoteAddress: string,
    scheme: 'http' | 'https',
    hasBody: boolean,
    bodyLimits: BodyLimits,
    connectionClose: boolean,
  ) {
    super(method, path, query, hostname, authority, headers, remoteAddress, scheme, 'http/1.1', null, hasBody, bodyLimits, connectionClose);
    this.clientAskedClose = connectionClose;
  }

  // ---- uWS events -------------------------------------------------------------------------

  readonly handleAborted = (): void => {
    this.done = true;
    this.clientLeft();
    this.tellClientGone();
  };

  readonly handleData = (data: ArrayBuffer, isLast: boolean): void => {
    const body = this.inboundBody!;
    // uWS neuters the ArrayBuffer when this callback returns: copy it out.
    if (data.byteLength > 0) body.accept(Buffer.from(data.slice(0)));
    if (isLast) body.finish();
  };

  /**
   * Hands the response to uWS's `upgrade` (given the raw HttpResponse, inside a cork); from then
   * on the exchange is over. False when the client already went away.
   */
  switchProtocols(upgrade: (res: HttpResponse) => void): boolean {
    if (this.committed || this.done) return false;
    this.committed = true;
    this.done = true;
    this.res.cork(() => upgrade(this.res));
    return true;
  }

  // ---- BodyConnection ---------------------------------------------------------------------

  pauseReading(): void {
    this.res.pause();
  }

  resumeReading(): void {
    this.res.resume();
  }

  bodyTooLarge(): void {
    // The rest of the body is still on the wire; the connection cannot be reused.
    this.connectionSpent();
  }

  bodyTimedOut(): void {
    // The answer (408, from the pipeline) closes the connection. When one was already sent, the
    // HttpResponse is finished and must not be touched: uWS's own idle timeout closes it.
    this.connectionSpent();
  }

  // ---- HttpExchange -----------------------------------------------------------------------

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    if (this.inRequestCallback && this.closeConnection) {
      // A pipelined request after this one is parsed as soon as this callback returns. Deferring
      // the answer makes uWS drop the connection if one is there, so it is never served.
      setImmediate(() => this.writeWholeResponse(status, headers, body));
      return;
    }
    this.writeWholeResponse(status, headers, body);
  }

  private writeWholeResponse(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.done) return;
    this.done = true;
    this.inboundBody?.discardUnread();
    this.res.cork(() => {
      this.writeHead(status, headers);
      if (this.isHead || status === 204 || status === 304) {
        if (this.isHead && body !== null && status !== 204 && status !== 304) {
          this.res.writeHeader('content-length', String(byteLengthOf(body)));
        }
        this.endWithoutBody();
      } else {
        if (body !== null) this.bytesSent = byteLengthOf(body);
        this.res.end(body ?? '', this.closeConnection);
      }
    });
  }

  /**
   * A response with a body keeps its head until the first body write, so head and a small body
   * leave in one corked send (one syscall instead of two). Nothing is lost by waiting: uWS ends
   * the header block (Content-Length or Transfer-Encoding) only with the first body bytes, so a
   * client could not read the head before them anyway.
   */
  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.inboundBody?.discardUnread();
    const bodiless = this.isHead || status === 204 || status === 304;
    if (bodiless || contentLength === 0) {
      this.res.cork(() => {
        this.writeHead(status, headers);
        this.done = true;
        if (bodiless) {
          if (this.isHead && contentLength !== null && status !== 204 && status !== 304) {
            this.res.writeHeader('content-length', String(contentLength));
          }
          this.endWithoutBody();
        } else {
          this.res.end('', this.closeConnection);
        }
      });
      return;
    }
    if (contentLength !== null) {
      this.framing = BodyFraming.Length;
      this.totalLength = contentLength;
    } else {
      this.framing = BodyFraming.Chunked;
    }
    this.res.onWritable(this.handleWritable);
    this.headStatus = status;
    this.headHeaders = headers;
  }

  private writeHead(status: number, headers: readonly string[]): void {
    this.res.writeStatus(statusLine(status));
    writeHeaderList(this.res, headers);
    if (this.clientAskedClose) this.res.writeHeader('connection', 'close');
  }

  /** Writes the held head, if any; call inside a cork. */
  private writeHeldHead(): void {
    const headers = this.headHeaders;
    if (headers === null) return;
    this.headHeaders = null;
    this.writeHead(this.headStatus, headers);
  }

  private endWithoutBody(): void {
    // uWS 20.30's endWithoutBody() with any argument misbehaves (a length aborts the response,
    // `undefined` becomes a garbage Content-Length), so the length is written as a header by the
    // callers and the call takes no arguments.
    if (this.closeConnection && !this.clientAskedClose) this.res.writeHeader('connection', 'close');
    this.res.endWithoutBody();
  }

  write(chunk: Uint8Array): boolean {
    if (this.done || this.framing === BodyFraming.None) return true;
    this.bytesSent += chunk.byteLength;
    if (this.pendingChunk !== null) {
      this.queued.push(chunk);
      this.queuedBytes += chunk.byteLength;
      return this.queuedBytes < RESPONSE_QUEUE_BYTES;
    }
    this.chunkToWrite = chunk;
    this.res.cork(this.corkedWrite);
    this.chunkToWrite = null;
    return this.lastWriteOk;
  }

  private readonly corkedWrite = (): void => {
    const chunk = this.chunkToWrite!;
    this.writeHeldHead();
    if (this.framing === BodyFraming.Chunked) {
      // uWS keeps what it could not send; false only asks us to stop producing.
      this.lastWriteOk = this.res.write(chunk);
      return;
    }
    // Whatever uWS could not take waits in pendingChunk; the upstream may keep sending into the
    // queue meanwhile.
    this.lastWriteOk = true;
    this.sendWithLength(chunk);
  };

  /** tryEnd one chunk; false when the client is full and the rest waits as `pendingChunk`. */
  private sendWithLength(chunk: Uint8Array): boolean {
    const offsetBefore = this.res.getWriteOffset();
    const [ok, done] = this.res.tryEnd(chunk, this.totalLength);
    if (done) {
      this.done = true;
      return true;
    }
    if (ok) return true;
    this.pendingChunk = chunk;
    this.pendingOffset = offsetBefore;
    return false;
  }

  private readonly handleWritable = (offset: number): boolean => {
    if (this.done) return true;
    if (this.framing === BodyFraming.Length && this.pendingChunk !== null) {
      const chunk = this.pendingChunk;
      this.pendingChunk = null;
      if (!this.sendWithLength(chunk.subarray(offset - this.pendingOffset))) {
        // The rest of the rest: sendWithLength recorded it against the current offset.
        return false;
      }
      while (!this.done && this.queued.length > 0) {
        const next = this.queued.shift()!;
        this.queuedBytes -= next.byteLength;
        if (!this.sendWithLength(next)) return this.afterPartialDrain();
      }
    }
    if (this.endAfterPending && this.pendingChunk === null && !this.done) {
      // The upstream ended short of its Content-Length: never let that pass as complete.
      this.abort();
      return true;
    }
    this.tellWritable();
    return true;
  };

  /** Part of the queue went out: let the upstream go on once there is room again. */
  private afterPartialDrain(): boolean {
    if (this.queuedBytes < RESPONSE_QUEUE_BYTES) this.tellWritable();
    return false;
  }

  end(): void {
    if (this.done) return;
    if (this.framing === BodyFraming.Chunked) {
      this.done = true;
      this.res.cork(() => {
        this.writeHeldHead();
        this.res.end(undefined, this.closeConnection);
      });
    } else if (this.framing === BodyFraming.Length) {
      // Fewer bytes than announced: tryEnd has not completed the response. If chunks are still
      // waiting, completion happens in handleWritable; otherwise the response is short.
      if (this.pendingChunk !== null) this.endAfterPending = true;
      else this.abort();
    }
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.headHeaders = null;
    this.pendingChunk = null;
    this.queued = [];
    this.res.close();
  }
}
