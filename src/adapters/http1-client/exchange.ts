import type { Socket } from 'node:net';
import type { BodySink, BodySource } from '../../ports/body';
import type { UpstreamCall, UpstreamFailureKind, UpstreamFlow, UpstreamResponseHandler } from '../../ports/upstream-client';
import { classifyUpstreamError } from '../http-common/upstream-failures';
import type { RequestHead } from './request-head';

/** What an exchange needs from the connection it runs on (an `UpstreamConnection`). */
export interface ExchangeConnection {
  readonly socket: Socket;
  exchange: Http1Exchange | null;
  pauseReading(): void;
  resumeReading(): void;
  /** The exchange gave up: the connection, mid-exchange, cannot be reused. */
  abandon(): void;
  /** Ends the current exchange with a failure; the connection goes with it. */
  failExchange(kind: UpstreamFailureKind, detail: string): void;
}

/** Where an exchange is; every transition is one way (but for one resend). */
const enum State {
  /** In its pool's queue, waiting for a connection. */
  Waiting,
  /** Written (or being written) on a connection. */
  Active,
  /** Ended, failed or aborted: the handler hears nothing more. */
  Done,
}

const CHUNK_END = '\r\n';
/** Methods a lost request may be sent again with (RFC 9110 §9.2.2: idempotent). */
const RESENDABLE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);
const LAST_CHUNK = '0\r\n\r\n';

/**
 * One request on the HTTP/1.1 client: the port's call, flow and body sink in one object with a
 * fixed shape, so a proxied request costs one allocation here besides its buffers.
 */
export class Http1Exchange implements UpstreamCall, UpstreamFlow, BodySink {
  private state = State.Waiting;
  connection: ExchangeConnection | null = null;
  /** The final (non-1xx) response head arrived. */
  responded = false;
  /** The upstream's head allows the connection to carry another request. */
  keepAlive = true;
  /** `keep-alive: timeout=N` from the upstream, in ms; 0 = none given. */
  keepAliveHintMs = 0;
  /** Some of the request has been handed to the socket (the upstream may act on it). */
  private headWritten = false;
  /** The whole request (head and body) has been handed to the socket. */
  private requestWritten = false;
  private bodyBytes = 0;
  private waitingForDrain = false;
  /** Response chunks parsed while the consumer asked for a pause. */
  private held: Buffer[] | null = null;
  private paused = false;
  /** Sent once more after a reused connection lost it (at most once). */
  private resent = false;
  /** The response completed while chunks were still held. */
  private endHeld = false;
  /** performance.now() after which the upstream has been silent too long; Infinity = no limit now. */
  deadlineAt = Infinity;

  constructor(
    private readonly handler: UpstreamResponseHandler,
    readonly method: string,
    private readonly head: RequestHead,
    private readonly body: BodySource | null,
    private readonly headersTimeoutMs: number,
    private readonly bodyTimeoutMs: number,
  ) {}

  get waiting(): boolean {
    return this.state === State.Waiting;
  }

  get done(): boolean {
    return this.state === State.Done;
  }

  /** The connection can take another request once this response has been read. */
  get reusable(): boolean {
    return this.keepAlive && this.requestWritten;
  }

  /** Writes the request on `connection`, which is now this exchange's. */
  start(connection: ExchangeConnection): void {
    this.state = State.Active;
    this.connection = connection;
    connection.exchange = this;
    if (this.body === null) {
      connection.socket.write(this.head.text, 'latin1');
      this.headWritten = true;
      this.requestWritten = true;
      this.deadlineAt = performance.now() + this.headersTimeoutMs;
      return;
    }
    // The head goes out with the first body chunk (or the body's end): a client that fails
    // before sending any of its body costs the upstream nothing.
    this.body.start(this);
  }

  /**
   * Whether the request may go out again after its connection broke: nothing of the answer
   * arrived, no body (it could not be replayed), an idempotent method, and not resent before.
   * If so, the exchange is back to waiting for a connection.
   */
  rewindToResend(): boolean {
    if (this.resent || this.responded || this.body !== null || this.state !== State.Active || !RESENDABLE_METHODS.has(this.method)) return false;
    this.resent = true;
    this.state = State.Waiting;
    this.connection = null;
    this.headWritten = false;
    this.requestWritten = false;
    this.deadlineAt = Infinity;
    return true;
  }

  // --- request body (BodySink) ---

  onBodyChunk(chunk: Uint8Array): void {
    if (this.state !== State.Active || chunk.byteLength === 0) return;
    const socket = this.connection!.socket;
    this.bodyBytes += chunk.byteLength;
    const declared = this.head.contentLength;
    if (declared !== null && this.bodyBytes > declared) return this.failOnConnection('request_body', `the request body is longer than its content-length (${declared})`);
    socket.cork();
    this.writeHeadOnce(socket);
    if (declared !== null) socket.write(chunk);
    else {
      socket.write(chunk.byteLength.toString(16) + CHUNK_END, 'latin1');
      socket.write(chunk);
      socket.write(CHUNK_END, 'latin1');
    }
    socket.uncork();
    if (socket.writableNeedDrain && !this.waitingForDrain) {
      this.waitingForDrain = true;
      this.body!.pause();
    }
  }

  onBodyEnd(): void {
    if (this.state !== State.Active) return;
    const declared = this.head.contentLength;
    if (declared !== null && this.bodyBytes !== declared) return this.failOnConnection('request_body', `the request body ended after ${this.bodyBytes} of ${declared} bytes`);
    const socket = this.connection!.socket;
    socket.cork();
    this.writeHeadOnce(socket);
    if (declared === null) socket.write(LAST_CHUNK, 'latin1');
    socket.uncork();
    this.requestWritten = true;
    if (!this.responded) this.deadlineAt = performance.now() + this.headersTimeoutMs;
  }

  onBodyError(error: Error): void {
    if (this.state !== State.Active) return;
    this.failOnConnection(classifyUpstreamError(error), `${error.name}: ${error.message}`);
  }

  /** The socket took the body bytes it had buffered. */
  onDrain(): void {
    if (!this.waitingForDrain) return;
    this.waitingForDrain = false;
    if (this.state === State.Active) this.body!.resume();
  }

  // --- response, from the connection's parser ---

  onHead(status: number, raw: readonly string[]): void {
    this.responded = true;
    this.deadlineAt = performance.now() + this.bodyTimeoutMs;
    const headers = new Array<string>(raw.length);
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i].toLowerCase();
      headers[i] = name;
      headers[i + 1] = raw[i + 1];
      if (name === 'keep-alive') this.keepAliveHintMs = keepAliveTimeoutOf(raw[i + 1]);
    }
    this.handler.onUpstreamResponse(status, headers, this);
  }

  onBody(chunk: Buffer): void {
    if (this.state !== State.Active) return;
    this.deadlineAt = performance.now() + this.bodyTimeoutMs;
    if (this.paused) {
      (this.held ??= []).push(chunk);
      return;
    }
    if (!this.handler.onUpstreamData(chunk)) this.pauseReading();
  }

  /** The whole response has been parsed; the connection is no longer this exchange's. */
  onComplete(): void {
    this.connection = null;
    if (this.state !== State.Active) return;
    if (this.paused) this.endHeld = true;
    else this.end();
  }

  fail(kind: UpstreamFailureKind, detail: string): void {
    if (this.state === State.Done) return;
    const requestSent = this.headWritten;
    this.state = State.Done;
    this.connection = null;
    this.deadlineAt = Infinity;
    this.handler.onUpstreamError({ kind, requestSent, detail });
  }

  // --- UpstreamCall / UpstreamFlow ---

  abort(): void {
    if (this.state === State.Done) return;
    this.state = State.Done;
    this.deadlineAt = Infinity;
    // A connection in the middle of this exchange cannot carry another one.
    const connection = this.connection;
    this.connection = null;
    if (connection !== null && connection.exchange === this) connection.abandon();
  }

  pause(): void {
    // Pausing follows a false from onUpstreamData; nothing to do here.
  }

  resume(): void {
    if (!this.paused || this.state !== State.Active) return;
    this.paused = false;
    const held = this.held;
    while (held !== null && held.length > 0) {
      if (!this.handler.onUpstreamData(held.shift()!)) {
        this.paused = true;
        return;
      }
      if (this.state !== State.Active) return;
    }
    if (this.endHeld) return this.end();
    this.connection?.resumeReading();
  }

  private writeHeadOnce(socket: ExchangeConnection['socket']): void {
    if (this.headWritten) return;
    this.headWritten = true;
    socket.write(this.head.text, 'latin1');
  }

  private pauseReading(): void {
    this.paused = true;
    this.connection?.pauseReading();
  }

  private end(): void {
    this.state = State.Done;
    this.deadlineAt = Infinity;
    this.handler.onUpstreamEnd();
  }

  private failOnConnection(kind: UpstreamFailureKind, detail: string): void {
    const connection = this.connection;
    if (connection !== null && connection.exchange === this) connection.failExchange(kind, detail);
    else this.fail(kind, detail);
  }
}

/** `timeout=N` of a Keep-Alive header, in ms; 0 when absent or unreadable. */
function keepAliveTimeoutOf(value: string): number {
  const match = /(?:^|[,\s])timeout\s*=\s*(\d+)/i.exec(value);
  return match === null ? 0 : Number(match[1]) * 1000;
}
