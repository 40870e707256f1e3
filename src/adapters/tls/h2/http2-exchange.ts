import { constants, type OutgoingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import { byteLengthOf } from '../../http-common/base-exchange';
import { StreamExchange } from '../../http-common/stream-exchange';
import type { BodyLimits } from '../../http-common/inbound-body';

/** Fields HTTP/2 forbids in a response (RFC 9113 §8.2.2): node throws on them. */
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'http2-settings', 'te']);
/** What node's http2 refuses in a value (it throws): controls other than tab. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVALID_VALUE = /[\x00-\x08\x0a-\x1f\x7f]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;

/** Told when a stream ends, so the session can spot clients that reset streams in bulk. */
export interface StreamOutcomes {
  /** The client reset the stream before its response was complete. */
  resetByClient(): void;
  completed(): void;
}

/**
 * One request/response on an HTTP/2 stream (node's stream API, not the compat layer), with both
 * body directions flow-controlled like the HTTP/1.1 exchanges. The response is framed by
 * DATA frames: `content-length` is announced when known, and a body that ends short of it
 * resets the stream instead of passing as complete.
 *
 * HTTP/2 rules this class encodes: a stream is one exchange, so nothing here ever spends the
 * connection (`closeConnection` stays false; a too-large body is drained and dropped, an abort
 * is RST_STREAM); the stream's 'close' before the response is done means the client reset it
 * (counted for the rapid-reset defence), after it a completed stream.
 */
export class Http2Exchange extends StreamExchange {
  constructor(
    private readonly stream: ServerHttp2Stream,
    method: string,
    path: string,
    query: string,
    hostname: string,
    authority: string,
    headers: readonly string[],
    remoteAddress: string,
    tlsVersion: string | null,
    hasBody: boolean,
    bodyLimits: BodyLimits,
    private readonly outcomes: StreamOutcomes,
  ) {
    super(stream, stream, method, path, query, hostname, authority, headers, remoteAddress, 'https', 'h2', tlsVersion, hasBody, bodyLimits, false);
    stream.on('error', noop);
    stream.on('close', this.handleClose);
    // Drop whatever DATA a bodiless request sends anyway (an empty END_STREAM frame).
    if (!hasBody) stream.resume();
  }

  // ---- stream events ----------------------------------------------------------------------

  private readonly handleClose = (): void => {
    if (this.done) {
      // The response was complete (or prox gave up on it) before the stream closed.
      this.outcomes.completed();
      this.inboundBody?.clientLeft();
      return;
    }
    // The stream closed before its response: the client reset it (or the session went away).
    this.outcomes.resetByClient();
    this.clientLeft();
    this.done = true;
    this.tellClientGone();
  };

  // ---- BodyConnection ---------------------------------------------------------------------

  bodyTooLarge(): void {
    // HTTP/2 can stop one stream without touching the connection: drop the rest of the body.
    this.inboundBody!.keepDraining();
  }

  bodyTimedOut(): void {
    // Only this stream stalled: the pipeline answers 408 on it; one already answered is reset.
    if (this.done && !this.stream.destroyed) this.stream.close(constants.NGHTTP2_CANCEL);
  }

  /** A stream never spends its connection: the session's other streams go on. */
  protected override connectionSpent(): void {}

  // ---- HttpExchange -----------------------------------------------------------------------

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.done = true;
    this.inboundBody?.discardUnread();
    const bodiless = status === 204 || status === 304;
    const length = body === null ? 0 : byteLengthOf(body);
    const head = responseHeaders(status, headers, bodiless ? null : length);
    if (this.stream.destroyed) return;
    if (bodiless || this.isHead || body === null || length === 0) {
      this.stream.respond(head, { endStream: true });
      return;
    }
    this.bytesSent = length;
    this.stream.respond(head, { endStream: false });
    this.stream.end(body);
  }

  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.inboundBody?.discardUnread();
    const head = responseHeaders(status, headers, status === 204 || status === 304 ? null : contentLength);
    if (this.stream.destroyed) {
      this.done = true;
      return;
    }
    if (this.isHead || status === 204 || status === 304 || contentLength === 0) {
      this.done = true;
      this.stream.respond(head, { endStream: true });
      return;
    }
    this.streaming = true;
    this.totalLength = contentLength;
    this.stream.on('drain', this.handleDrain);
    this.stream.respond(head, { endStream: false });
  }

  /** RST_STREAM (INTERNAL_ERROR): the client sees this response fail, the session goes on. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    if (!this.stream.destroyed) this.stream.close(constants.NGHTTP2_INTERNAL_ERROR);
  }
}

/**
 * A flat header list as node's http2 wants it: an object, repeated `set-cookie` as an array,
 * other repeats joined; fields HTTP/2 forbids and values that would not encode are dropped.
 */
export function responseHeaders(status: number, headers: readonly string[], contentLength: number | null): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = { ':status': status };
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i].toLowerCase();
    const value = headers[i + 1];
    if (CONNECTION_SPECIFIC.has(name) || name === 'content-length' || !TOKEN.test(name) || INVALID_VALUE.test(value)) continue;
    const previous = out[name];
    if (previous === undefined) out[name] = name === 'set-cookie' ? [value] : value;
    else if (Array.isArray(previous)) previous.push(value);
    else out[name] = `${String(previous)}, ${value}`;
  }
  if (contentLength !== null) out['content-length'] = contentLength;
  return out;
}

function noop(): void {}
