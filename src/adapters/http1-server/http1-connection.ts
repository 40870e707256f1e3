import type { Socket } from 'node:net';
import type { ExchangeHandler, ListenSpec } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import { NativeParser, PARSER_METHODS, type ParseError } from '../http-common/llhttp';
import { returnRequestParser, takeRequestParser } from './parser-pool';
import { hostnameOf, inspectRequest, isVerdict, lowerCasedHeaders, withSingleContentLength } from '../http-common/request-hygiene';
import { remoteAddressOf } from '../http-common/socket-address';
import { statusLine } from '../http-common/status-lines';
import { isWebSocketUpgrade } from '../http-common/websocket-request';
import { TunnelUpgrade } from '../http-common/websocket-tunnel';
import { Http1Exchange, type ExchangeConnection } from './http1-exchange';

/** What the parser counts into its head limit besides the header fields prox limits: the request line. */
const REQUEST_LINE_ALLOWANCE_BYTES = 8 * 1024;
const CONTINUE = 'HTTP/1.1 100 Continue\r\n\r\n';
/** The client closed its side (or reset) mid-request: there is nobody left to answer. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

/** Which timeout watches a connection now (checked by the server's sweep, not a timer each). */
export const enum Deadline {
  /** An exchange is in progress: its body and the route bound it. */
  None,
  /** A request head is due (`limits.header_timeout_secs`): 408 when late. */
  Head,
  /** Idle between requests (`limits.keepalive_timeout_secs`): closed when late. */
  Idle,
}

/** Listener-wide settings every connection shares. */
export interface ConnectionContext {
  readonly handler: ExchangeHandler;
  readonly limits: ListenSpec['limits'];
  readonly logger: Logger;
  /** keepAliveFields for the listener's keep-alive timeout, built once. */
  readonly keepAliveFields: string;
  /** The listener is stopping: every response closes its connection. */
  readonly stopped: boolean;
  forget(connection: Http1Connection): void;
}

/**
 * One client connection of prox's own HTTP/1.1 server: llhttp parses the bytes (strict, the
 * parser node:http uses), prox's hygiene checks judge each head, and one exchange at a time is
 * answered. Requests pipelined behind it are parsed into a queue (the parser cannot stop between
 * messages of one read) and served in order; reading pauses while the queue is not empty.
 */
export class Http1Connection implements ExchangeConnection {
  private readonly parser: NativeParser;
  readonly remoteAddress: string;
  /** The exchange being answered. */
  private current: Http1Exchange | null = null;
  /** Pipelined exchanges behind `current`, parsed and waiting for their turn. */
  private readonly queue: Http1Exchange[] = [];
  /** The exchange whose request message the parser is in (current or the last queued); null between messages. */
  private parsing: Http1Exchange | null = null;
  /** A WebSocket upgrade whose head just completed: started once `execute` says where its head ends. */
  private upgrading: Http1Exchange | null = null;
  /** Headers and URL flushed by the parser before the head completed (a long head, or split across reads). */
  private partialHeaders: string[] | null = null;
  private partialUrl = '';
  /** No request parsed from now on is served (one asked to close, a parse error, a body left unread). */
  private closingFlag = false;
  /** Handed over to a WebSocket tunnel: this class no longer touches the socket. */
  private detached = false;
  /** The socket is paused (see applyReading). */
  private paused = false;
  /** A request body asked to stop reading. */
  private bodyPaused = false;
  /** The first bytes of a request head arrived, the rest not yet: the connection is not idle. */
  private headStarted = false;
  private parserClosed = false;
  deadline: Deadline = Deadline.Head;
  deadlineAt: number;

  constructor(
    readonly socket: Socket,
    private readonly context: ConnectionContext,
  ) {
    const limits = context.limits;
    this.remoteAddress = remoteAddressOf(socket);
    this.deadlineAt = Date.now() + limits.headerTimeoutMs;
    const parser = takeRequestParser(limits.maxHeaderBytes + REQUEST_LINE_ALLOWANCE_BYTES);
    this.parser = parser;
    parser[NativeParser.kOnMessageBegin] = this.onMessageBegin;
    parser[NativeParser.kOnHeaders] = this.onHeaders;
    parser[NativeParser.kOnHeadersComplete] = this.onHeadersComplete;
    parser[NativeParser.kOnBody] = this.onBody;
    parser[NativeParser.kOnMessageComplete] = this.onMessageComplete;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('drain', this.onDrain);
    socket.on('error', swallow);
  }

  /** The current response is the connection's last: nothing queued behind it will be served. */
  get keepAliveFields(): string {
    return this.context.keepAliveFields;
  }

  get closing(): boolean {
    return this.context.stopped || (this.closingFlag && this.queue.length === 0);
  }

  /** Between exchanges, with nothing parsed, queued or half-received: safe to close at once. */
  get idle(): boolean {
    return this.current === null && this.parsing === null && !this.headStarted && !this.detached;
  }

  // ---- socket events ----------------------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    if (this.deadline === Deadline.Idle) {
      this.deadline = Deadline.Head;
      this.deadlineAt = Date.now() + this.context.limits.headerTimeoutMs;
    }
    let result: number | ParseError;
    try {
      result = this.parser.execute(chunk);
    } catch (error) {
      // A throw from a parser callback (a bug on our side): this connection's state cannot be
      // trusted any more, the process and every other connection go on.
      this.context.logger.error('request parsing failed; connection closed', { error: String(error) });
      this.abandonExchanges();
      this.socket.destroy();
      return;
    }
    if (typeof result !== 'number') return this.parseFailed(result);
    const upgrading = this.upgrading;
    if (upgrading !== null) {
      this.upgrading = null;
      this.startUpgrade(upgrading, chunk.subarray(result));
    } else if (result < chunk.length) {
      // A non-WebSocket upgrade (h2c, CONNECT) served as a plain request: what follows its
      // head is another protocol, so the connection ends with that answer.
      this.markClosing();
    }
  };

  private readonly onEnd = (): void => {
    if (this.detached) return;
    // The client closed its side: as node:http does by default, whatever it asked for is
    // abandoned (the upstream request is cancelled) and the connection ends.
    this.closingFlag = true;
    this.abandonExchanges();
    this.socket.end();
  };

  private readonly onClose = (): void => {
    if (this.detached) return;
    this.context.forget(this);
    this.closeParser();
    this.abandonExchanges();
  };

  /** The client is gone: the exchange in progress and those queued behind it learn so. */
  private abandonExchanges(): void {
    const current = this.current;
    this.current = null;
    this.parsing = null;
    current?.connectionClosed();
    for (const queued of this.queue.splice(0)) queued.connectionClosed();
  }

  private readonly onDrain = (): void => {
    this.current?.writable();
  };

  // ---- parser callbacks -------------------------------------------------------------------

  private readonly onMessageBegin = (): void => {
    this.headStarted = true;
  };

  private readonly onHeaders = (headers: string[], url: string): void => {
    if (this.partialHeaders === null) this.partialHeaders = headers;
    else for (let i = 0; i < headers.length; i += 1) this.partialHeaders.push(headers[i]);
    this.partialUrl += url;
  };

  private readonly onHeadersComplete = (
    major: number,
    minor: number,
    rawHeaders: string[] | undefined,
    methodIndex: number,
    rawUrl: string | undefined,
    _status: unknown,
    _statusMessage: unknown,
    upgrade: boolean,
    keepAlive: boolean,
  ): number => {
    let raw = rawHeaders ?? [];
    let url = rawUrl ?? '';
    if (this.partialHeaders !== null) {
      raw = rawHeaders === undefined ? this.partialHeaders : this.partialHeaders.concat(rawHeaders);
      this.partialHeaders = null;
    }
    if (this.partialUrl !== '') {
      url = this.partialUrl + url;
      this.partialUrl = '';
    }
    this.headStarted = false;
    // Behind a request whose answer closes the connection nothing is served.
    if (this.closingFlag) return 1;
    this.deadline = Deadline.None;
    const limits = this.context.limits;
    const { headers: collected, bytes } = lowerCasedHeaders(raw);
    const framing = inspectRequest(collected, bytes, limits);
    if (isVerdict(framing)) {
      this.refuse(framing.status, framing.code);
      return 1;
    }
    const headers = framing.repeatedContentLength ? withSingleContentLength(collected) : collected;
    const method = PARSER_METHODS[methodIndex] ?? 'GET';
    const hasBody = framing.chunked || framing.contentLength !== null;
    const http10 = major === 1 && minor === 0;
    const webSocket = upgrade && !hasBody && this.current === null && isWebSocketUpgrade(method, headers);
    const mark = url.indexOf('?');
    const exchange = new Http1Exchange(
      this,
      http10,
      method,
      mark === -1 ? url : url.slice(0, mark),
      mark === -1 ? '' : url.slice(mark + 1),
      hostnameOf(framing.host),
      framing.host,
      headers,
      this.remoteAddress,
      hasBody,
      limits,
      // An upgrade request, tunnelled or not, is the connection's last HTTP exchange.
      framing.connectionClose || !keepAlive || upgrade,
      !http10 && expectsContinue(headers),
    );
    if (exchange.closeConnection) this.closingFlag = true;
    this.parsing = exchange;
    if (webSocket) {
      this.current = exchange;
      this.upgrading = exchange;
      // 2: no body, and stop after this head: the rest of the read is WebSocket frames.
      return 2;
    }
    if (this.current === null) {
      this.current = exchange;
      this.start(exchange);
    } else {
      this.queue.push(exchange);
      this.applyReading();
    }
    return 0;
  };

  private readonly onBody = (chunk: Buffer): void => {
    this.parsing?.acceptBody(chunk);
  };

  private readonly onMessageComplete = (): void => {
    const exchange = this.parsing;
    if (exchange === null) return;
    this.parsing = null;
    exchange.finishBody();
    if (exchange === this.current && exchange.finished && this.upgrading !== exchange) this.next();
  };

  // ---- exchanges --------------------------------------------------------------------------

  private start(exchange: Http1Exchange): void {
    if (exchange.expectsContinue) this.socket.write(CONTINUE, 'latin1');
    try {
      this.context.handler.handle(exchange);
    } catch (error) {
      this.context.logger.error('request handler failed', { error: String(error), path: exchange.path });
      exchange.failInternally();
    }
  }

  private startUpgrade(exchange: Http1Exchange, head: Buffer): void {
    exchange.upgrade = new TunnelUpgrade(exchange, this.socket, Buffer.from(head), () => this.detach());
    this.start(exchange);
  }

  /** The WebSocket tunnel takes the socket over: no HTTP is parsed or written on it any more. */
  private detach(): void {
    this.detached = true;
    this.current = null;
    this.context.forget(this);
    this.socket.off('data', this.onData);
    this.socket.off('end', this.onEnd);
    this.socket.off('close', this.onClose);
    this.socket.off('drain', this.onDrain);
    this.closeParser();
    if (this.paused) this.socket.resume();
  }

  responseDone(exchange: Http1Exchange, close: boolean): void {
    if (exchange !== this.current || this.detached) return;
    if (close || this.closing) {
      this.closingFlag = true;
      // Flush what is written, then close; a body still arriving is not read any further.
      this.socket.destroySoon();
      return;
    }
    if (exchange.requestComplete) this.next();
  }

  /** The current exchange is over: serve the next pipelined one, or wait idle for a new request. */
  private next(): void {
    const next = this.queue.shift();
    if (next === undefined) {
      this.current = null;
      this.bodyPaused = false;
      this.applyReading();
      if (this.parsing === null) {
        this.deadline = Deadline.Idle;
        this.deadlineAt = Date.now() + this.context.limits.keepaliveTimeoutMs;
      }
      return;
    }
    this.current = next;
    // The finished exchange's body no longer matters; the new one's may have paused reading
    // while it waited (nobody claimed it yet).
    this.bodyPaused = next.bodyPaused;
    this.applyReading();
    this.start(next);
  }

  /** A head failed prox's checks: answer it (after the response in progress, if any) and close. */
  private refuse(status: number, code: string): void {
    this.closingFlag = true;
    if (this.current !== null) return;
    this.writeErrorAndClose(status, code);
  }

  private parseFailed(error: ParseError): void {
    const code = error.code ?? '';
    if (GONE.has(code)) {
      this.socket.destroy();
      return;
    }
    const broken = this.parsing;
    if (broken !== null) {
      // The body stopped parsing mid-way: that request is abandoned, never answered as if it
      // were complete (node:http does the same), and the connection ends.
      this.closingFlag = true;
      if (broken === this.current) {
        this.abandonExchanges();
        this.socket.destroy();
      } else {
        this.parsing = null;
        for (const queued of this.queue.splice(0)) queued.connectionClosed();
        this.bodyPaused = false;
        this.applyReading();
      }
      return;
    }
    const wasClosing = this.closingFlag;
    this.closingFlag = true;
    // An earlier response is still being written: it finishes, then the connection closes.
    if (this.current !== null) return;
    // Bytes after a request whose answer closes the connection: that answer was the last word.
    if (wasClosing) {
      this.socket.destroySoon();
      return;
    }
    if (code === 'HPE_HEADER_OVERFLOW') this.writeErrorAndClose(431, 'request_header_fields_too_large');
    else this.writeErrorAndClose(400, 'bad_request');
  }

  /** The sweep found the connection past its deadline. */
  expire(): void {
    if (this.detached || !this.socket.writable) return;
    if (this.deadline === Deadline.Idle) {
      this.socket.destroy();
    } else if (this.deadline === Deadline.Head && this.current === null) {
      this.closingFlag = true;
      this.writeErrorAndClose(408, 'request_timeout');
    }
    this.deadline = Deadline.None;
  }

  /**
   * Listener stopping: an idle connection closes now. A busy one (an exchange in progress, or
   * a head half-received) is answered first; every response now closes its connection.
   */
  stop(): void {
    if (this.idle) this.socket.destroy();
  }

  private writeErrorAndClose(status: number, code: string): void {
    const body = JSON.stringify({ error: code, status });
    this.socket.end(
      `HTTP/1.1 ${statusLine(status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
        `connection: close\r\n\r\n${body}`,
      'latin1',
    );
    this.socket.destroySoon();
  }

  markClosing(): void {
    this.closingFlag = true;
  }

  /** From a request body whose consumer is behind. */
  pauseReading(): void {
    this.bodyPaused = true;
    this.applyReading();
  }

  resumeReading(): void {
    this.bodyPaused = false;
    this.applyReading();
  }

  /** Reading stops while a body's consumer is behind or pipelined requests wait in the queue. */
  private applyReading(): void {
    const pause = this.bodyPaused || this.queue.length > 0;
    if (pause === this.paused || this.detached) return;
    this.paused = pause;
    if (pause) this.socket.pause();
    else this.socket.resume();
  }

  private closeParser(): void {
    if (this.parserClosed) return;
    this.parserClosed = true;
    returnRequestParser(this.parser);
  }
}

function expectsContinue(headers: readonly string[]): boolean {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'expect' && headers[i + 1].trim().toLowerCase() === '100-continue') return true;
  }
  return false;
}

function swallow(): void {
  // A reset or a write after the peer left: the 'close' that follows does the cleanup.
}
