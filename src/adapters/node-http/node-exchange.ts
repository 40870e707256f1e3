import type { IncomingMessage, ServerResponse } from 'node:http';
import { byteLengthOf } from '../http-common/base-exchange';
import { StreamExchange } from '../http-common/stream-exchange';
import { safeHeaderList } from './header-list';
import type { ConnectionPolicy } from './connection-policy';
import type { BodyLimits } from '../http-common/inbound-body';

/**
 * One request/response on a node:http connection, with both body directions flow-controlled.
 *
 * node:http rules this class encodes: `res.shouldKeepAlive = false` before the head makes node
 * write exactly one `Connection: close` and close after the response; node silently completes a
 * response that ends short of its Content-Length, so a short body is torn down here instead;
 * `res` 'close' fires after a completed response too, so only a close before `writableFinished`
 * means the client left.
 */
export class NodeExchange extends StreamExchange {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly connections: ConnectionPolicy,
    method: string,
    path: string,
    query: string,
    hostname: string,
    authority: string,
    headers: readonly string[],
    remoteAddress: string,
    scheme: 'http' | 'https',
    tlsVersion: string | null,
    hasBody: boolean,
    bodyLimits: BodyLimits,
    connectionClose: boolean,
  ) {
    super(req, res, method, path, query, hostname, authority, headers, remoteAddress, scheme, 'http/1.1', tlsVersion, hasBody, bodyLimits, connectionClose);
    req.on('error', this.handleRequestError);
    res.on('close', this.handleClose);
  }

  // ---- node events ------------------------------------------------------------------------

  /** A reset while the body streams; the 'close' that follows reports it. */
  private readonly handleRequestError = (): void => undefined;

  private readonly handleClose = (): void => {
    if (this.res.writableFinished) return;
    this.clientLeft();
    if (this.done) return;
    this.done = true;
    this.tellClientGone();
  };

  // ---- BodyConnection ---------------------------------------------------------------------

  bodyTooLarge(): void {
    // The rest of the body is still on the wire: the connection cannot be reused, and nothing
    // pipelined behind it may be served.
    this.connectionSpent();
    // Keep reading (and dropping) so a client blocked on sending can read the answer.
    this.inboundBody!.keepDraining();
  }

  bodyTimedOut(): void {
    this.connectionSpent();
    // Answered already (the body was being read and dropped): nothing is left to say.
    if (this.done) this.req.socket.destroy();
  }

  /** Nothing pipelined behind this request is served either. */
  protected override connectionSpent(): void {
    this.closeConnection = true;
    this.connections.markClosing(this.req.socket);
  }

  // ---- HttpExchange -----------------------------------------------------------------------

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    if (this.committed || this.done) return;
    this.committed = true;
    this.done = true;
    this.inboundBody?.discardUnread();
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
    this.inboundBody?.discardUnread();
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

  abort(): void {
    if (this.done) return;
    this.done = true;
    this.res.destroy();
  }
}
