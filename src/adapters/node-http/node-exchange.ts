import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodySink, BodySource } from '../../ports/body';
import { BodyTooLargeError, ClientBodyAbortedError } from '../../ports/body-errors';
import type { HttpExchange, InboundRequest } from '../../ports/http-server';
import { safeHeaderList } from './header-list';
import type { ConnectionPolicy } from './connection-policy';

/** Request bodies are held this far before the client is paused while no consumer reads. */
const UNCLAIMED_BODY_BUFFER_BYTES = 64 * 1024;

/**
 * One request/response on a node:http connection, with both body directions flow-controlled.
 *
 * node:http rules this class encodes: `res.shouldKeepAlive = false` before the head makes node
 * write exactly one `Connection: close` and close after the response; node silently completes a
 * response that ends short of its Content-Length, so a short body is torn down here instead;
 * `res` 'close' fires after a completed response too, so only a close before `writableFinished`
 * means the client left.
 */
export class NodeExchange implements HttpExchange, BodySource, InboundRequest {
  /** A response has been begun; a second one is ignored. */
  private committed = false;
  /** The response is over (ended, aborted or the client left): `res` is not written again. */
  private done = false;
  /** The response must close the connection (client asked, or the body could not be drained). */
  private closeConnection: boolean;

  private clientGone = false;
  private goneCallback: (() => void) | null = null;
  private writableCallback: (() => void) | null = null;

  private streaming = false;
  /** Announced length of a streamed body; null when chunked. */
  private totalLength: number | null = null;

  private sink: BodySink | null = null;
  private unclaimedChunks: Uint8Array[] | null = null;
  private unclaimedBytes = 0;
  private receivedBytes = 0;
  private bodyComplete: boolean;
  private bodyFailed = false;
  private readingPaused = false;

  readonly body: BodySource | null;
  /** Response body bytes handed to the connection. */
  bytesSent = 0;

  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly connections: ConnectionPolicy,
    readonly method: string,
    readonly path: string,
    readonly query: string,
    readonly hostname: string,
    readonly authority: string,
    readonly headers: readonly string[],
    readonly remoteAddress: string,
    readonly scheme: 'http' | 'https',
    hasBody: boolean,
    private readonly maxBodyBytes: number | null,
    connectionClose: boolean,
  ) {
    this.body = hasBody ? this : null;
    this.bodyComplete = !hasBody;
    this.closeConnection = connectionClose;
    req.on('error', this.handleRequestError);
    res.on('close', this.handleClose);
    if (hasBody) {
      req.on('data', this.handleData);
      req.on('end', this.handleEnd);
    }
  }

  get request(): InboundRequest {
    return this;
  }

  get finished(): boolean {
    return this.done;
  }

  get bytesReceived(): number {
    return this.receivedBytes;
  }

  private get isHead(): boolean {
    return this.method === 'HEAD';
  }

  // ---- node events ------------------------------------------------------------------------

  /** A reset while the body streams; the 'close' that follows reports it. */
  private readonly handleRequestError = (): void => undefined;

  private readonly handleClose = (): void => {
    if (this.res.writableFinished) return;
    this.clientGone = true;
    if (!this.bodyComplete && !this.bodyFailed) {
      this.bodyFailed = true;
      this.sink?.onBodyError(new ClientBodyAbortedError());
    }
    if (this.done) return;
    this.done = true;
    const callback = this.goneCallback;
    this.goneCallback = null;
    callback?.();
  };

  private readonly handleData = (chunk: Buffer): void => {
    if (this.bodyFailed) return;
    this.receivedBytes += chunk.byteLength;
    if (this.maxBodyBytes !== null && this.receivedBytes > this.maxBodyBytes) return this.failBodyTooLarge();
    if (this.sink !== null) {
      this.sink.onBodyChunk(chunk);
    } else {
      (this.unclaimedChunks ??= []).push(chunk);
      this.unclaimedBytes += chunk.byteLength;
      if (this.unclaimedBytes > UNCLAIMED_BODY_BUFFER_BYTES) this.pause();
    }
  };

  private readonly handleEnd = (): void => {
    if (this.bodyFailed) return;
    this.bodyComplete = true;
    this.sink?.onBodyEnd();
  };

  private readonly handleDrain = (): void => {
    const callback = this.writableCallback;
    this.writableCallback = null;
    callback?.();
  };

  private failBodyTooLarge(): void {
    this.bodyFailed = true;
    this.unclaimedChunks = null;
    // The rest of the body is still on the wire: the connection cannot be reused, and nothing
    // pipelined behind it may be served.
    this.closeConnection = true;
    this.connections.markClosing(this.req.socket);
    this.sink?.onBodyError(new BodyTooLargeError(this.maxBodyBytes ?? 0));
    // Keep reading (and dropping) so a client blocked on sending can read the answer.
    this.readingPaused = false;
    this.req.resume();
  }

  // ---- BodySource -------------------------------------------------------------------------

  start(sink: BodySink): void {
    this.sink = sink;
    const chunks = this.unclaimedChunks;
    this.unclaimedChunks = null;
    this.unclaimedBytes = 0;
    if (this.bodyFailed) {
      const error = this.clientGone ? new ClientBodyAbortedError() : new BodyTooLargeError(this.maxBodyBytes ?? 0);
      // The consumer is still setting itself up inside start(): report on the next tick, as a
      // failure found while streaming would be.
      process.nextTick(() => sink.onBodyError(error));
      return;
    }
    if (chunks !== null) for (const chunk of chunks) sink.onBodyChunk(chunk);
    if (this.bodyComplete) sink.onBodyEnd();
    else this.resume();
  }

  pause(): void {
    if (this.readingPaused || this.bodyComplete || this.clientGone) return;
    this.readingPaused = true;
    this.req.pause();
  }

  resume(): void {
    if (!this.readingPaused || this.clientGone) return;
    this.readingPaused = false;
    this.req.resume();
  }

  /** A response went out before anyone read the body: read and drop the rest. */
  private discardUnreadBody(): void {
    if (this.bodyComplete || this.sink !== null) return;
    this.unclaimedChunks = null;
    this.sink = DISCARDING_SINK;
    this.readingPaused = true;
    this.resume();
  }

  // ---- HttpExchange -----------------------------------------------------------------------

  onClientGone(callback: () => void): void {
    if (this.clientGone) callback();
    else this.goneCallback = callback;
  }

  onWritable(callback: () => void): void {
    this.writableCallback = callback;
  }

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.done = true;
    this.discardUnreadBody();
    const bodiless = status === 204 || status === 304;
    const head = safeHeaderList(headers);
    if (!bodiless && body !== null) head.push('content-length', String(byteLengthOf(body)));
    else if (!bodiless && !this.isHead) head.push('content-length', '0');
    this.writeHead(status, head);
    if (bodiless || this.isHead || body === null) {
      this.res.end();
    } else {
      this.bytesSent = byteLengthOf(body);
      this.res.end(body);
    }
  }

  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.discardUnreadBody();
    const bodiless = this.isHead || status === 204 || status === 304;
    const head = safeHeaderList(headers);
    if (status !== 204 && status !== 304 && contentLength !== null) head.push('content-length', String(contentLength));
    if (bodiless || contentLength === 0) {
      this.done = true;
      this.writeHead(status, head);
      this.res.end();
      return;
    }
    this.streaming = true;
    this.totalLength = contentLength;
    this.res.on('drain', this.handleDrain);
    this.writeHead(status, head);
  }

  private writeHead(status: number, headers: string[]): void {
    if (this.closeConnection || this.connections.isClosing(this.req.socket)) this.res.shouldKeepAlive = false;
    else if (this.connections.stopped) this.res.shouldKeepAlive = false;
    this.res.writeHead(status, headers);
  }

  write(chunk: Uint8Array): boolean {
    if (this.done || !this.streaming) return true;
    this.bytesSent += chunk.byteLength;
    return this.res.write(chunk);
  }

  end(): void {
    if (this.done) return;
    if (!this.streaming) return;
    if (this.totalLength !== null && this.bytesSent < this.totalLength) {
      // The upstream ended short of its Content-Length: never let that pass as complete.
      this.abort();
      return;
    }
    this.done = true;
    this.res.end();
  }

  /** A bug on our side: answer 500 if nothing was sent yet, else cut the connection. */
  failInternally(): void {
    this.closeConnection = true;
    this.connections.markClosing(this.req.socket);
    if (this.committed) this.abort();
    else this.respond(500, ['content-type', 'application/json'], '{"error":"internal_error","status":500}');
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.res.destroy();
  }
}

const DISCARDING_SINK: BodySink = {
  onBodyChunk: () => undefined,
  onBodyEnd: () => undefined,
  onBodyError: () => undefined,
};

function byteLengthOf(body: string | Uint8Array): number {
  return typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
}
