import type { Socket } from 'node:net';
import type { UpstreamFailureKind } from '../../ports/upstream-client';
import { classifyUpstreamError } from '../http-common/upstream-failures';
import type { ExchangeConnection, Http1Exchange } from './exchange';
import { ResponseParser, type ResponseParserEvents } from './response-parser';

/** What a connection needs from the pool that owns it. */
export interface ConnectionOwner {
  /** The connection finished a response and may take the next request (or go idle). */
  release(connection: UpstreamConnection): void;
  /** The connection is gone (closed by either side). */
  remove(connection: UpstreamConnection): void;
  /** Send again, on another connection, a request a reused connection lost before any answer. */
  resend(exchange: Http1Exchange): void;
}

/**
 * One keep-alive HTTP/1.1 connection to an upstream, carrying one exchange at a time. Response
 * bytes go through Node's llhttp parser; a response is only handed over as complete once the
 * read that finished it has been parsed to the end, so bytes the upstream sends after it (which
 * no request asked for) make the connection unusable instead of answering the next request.
 */
export class UpstreamConnection implements ResponseParserEvents, ExchangeConnection {
  exchange: Http1Exchange | null = null;
  /** performance.now() when the connection last went idle. */
  idleSince = 0;
  /** How long it may stay idle: the pool's setting or less when the upstream says so. */
  idleTimeoutMs: number;
  private readonly parser: ResponseParser;
  /** The exchange whose response completed during the read being parsed. */
  private completed: Http1Exchange | null = null;
  /** The upstream sent something no request asked for. */
  private unsolicited = false;
  private readingPaused = false;
  private closed = false;
  /** Responses completed on this connection: past 0 it is a reused keep-alive connection. */
  private served = 0;

  constructor(
    readonly socket: Socket,
    private readonly owner: ConnectionOwner,
    keepAliveTimeoutMs: number,
    maxHeaderSize: number,
  ) {
    this.idleTimeoutMs = keepAliveTimeoutMs;
    this.parser = new ResponseParser(this, maxHeaderSize);
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The exchange gave up (its client left): the connection, mid-exchange, cannot be reused. */
  abandon(): void {
    this.exchange = null;
    this.destroy();
  }

  pauseReading(): void {
    if (this.readingPaused) return;
    this.readingPaused = true;
    this.socket.pause();
  }

  resumeReading(): void {
    if (!this.readingPaused) return;
    this.readingPaused = false;
    this.socket.resume();
  }

  // --- parser events ---

  onHead(status: number, rawHeaders: string[], keepAlive: boolean, upgrade: boolean): boolean {
    const exchange = this.exchange;
    if (exchange === null) {
      this.unsolicited = true;
      return true;
    }
    if (status < 200) {
      // 101 without an upgrade request is a protocol error; other 1xx are interim, not forwarded.
      if (status === 101 || upgrade) this.failExchange('protocol', `unexpected ${status} response`);
      return true;
    }
    exchange.keepAlive = keepAlive;
    exchange.onHead(status, rawHeaders);
    return exchange.method === 'HEAD';
  }

  onBody(chunk: Buffer): void {
    const exchange = this.exchange;
    if (exchange === null) this.unsolicited = true;
    else exchange.onBody(chunk);
  }

  onMessageComplete(): void {
    const exchange = this.exchange;
    if (exchange === null) {
      this.unsolicited = true;
      return;
    }
    if (!exchange.responded) return; // the end of a 1xx
    this.exchange = null;
    this.completed = exchange;
  }

  // --- socket events ---

  private readonly onData = (data: Buffer): void => {
    const error = this.parser.execute(data);
    if (error !== null) return this.failExchange('protocol', `${error.code}: ${error.reason ?? error.message}`);
    this.handOverCompleted();
  };

  private readonly onEnd = (): void => {
    // Completes a response delimited by the end of the connection.
    const error = this.parser.finish();
    this.unsolicited = true; // nothing more can be sent on it
    if (this.completed !== null) this.handOverCompleted();
    if (this.exchange !== null) this.lose('reset', error === null ? 'the upstream closed the connection before the response was complete' : `${error.code}: the upstream closed the connection mid-response`);
    this.destroy();
  };

  private readonly onError = (error: Error & { code?: string }): void => {
    if (this.exchange !== null) this.lose(classifyUpstreamError(error), `${error.code ?? error.name}: ${error.message}`);
  };

  private readonly onClose = (): void => {
    if (this.closed) return;
    this.closed = true;
    if (this.exchange !== null) this.lose('reset', 'the upstream connection closed');
    this.owner.remove(this);
    this.parser.close();
  };

  private readonly onDrain = (): void => {
    this.exchange?.onDrain();
  };

  /** After a read: give back the connection, then tell the exchange its response is whole. */
  private handOverCompleted(): void {
    const completed = this.completed;
    if (completed === null) return;
    this.completed = null;
    this.served += 1;
    if (completed.keepAliveHintMs > 0) this.idleTimeoutMs = Math.min(this.idleTimeoutMs, completed.keepAliveHintMs - 1000);
    if (this.unsolicited || !completed.reusable || this.idleTimeoutMs <= 0 || this.closed) this.destroy();
    else {
      this.resumeReading();
      this.owner.release(this);
    }
    completed.onComplete();
  }

  /**
   * The connection broke under the current exchange. A kept-alive connection the upstream
   * closed just as a request went out (its idle timeout racing ours) is the upstream's doing,
   * not the request's: a request with no body and a safe method, that got no answer at all, is
   * sent once more on another connection, as nginx does. Anything else fails.
   */
  private lose(kind: UpstreamFailureKind, detail: string): void {
    const exchange = this.exchange!;
    if (kind === 'reset' && this.served > 0 && exchange.rewindToResend()) {
      this.exchange = null;
      this.destroy();
      this.owner.resend(exchange);
      return;
    }
    this.failExchange(kind, detail);
  }

  /** Ends the current exchange with a failure; the connection goes with it. */
  failExchange(kind: UpstreamFailureKind, detail: string): void {
    const exchange = this.exchange;
    this.exchange = null;
    this.destroy();
    exchange?.fail(kind, detail);
  }
}
