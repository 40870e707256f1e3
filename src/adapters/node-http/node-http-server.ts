import { createServer, ServerResponse, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { BoundListener, ExchangeHandler, HttpServer, ListenSpec } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import { hostnameOf, inspectRequest, isVerdict, lowerCasedHeaders, withSingleContentLength, type HygieneVerdict } from '../http-common/request-hygiene';
import { statusLine } from '../http-common/status-lines';
import { isWebSocketUpgrade } from '../http-common/websocket-request';
import { TunnelUpgrade } from '../http-common/websocket-tunnel';
import { bindListener } from '../http-common/bind-listener';
import { remoteAddressOf } from '../http-common/socket-address';
import { ConnectionPolicy } from './connection-policy';
import { clientErrorListener } from './client-errors';
import { NodeExchange } from './node-exchange';

/**
 * node looks for heads that are late (`headersTimeout`) only this often (its default is 30 s):
 * a slow head is answered within its timeout plus at most this.
 */
const MAX_TIMEOUT_CHECK_INTERVAL_MS = 1_000;
/** node counts the request line into its header limit; prox's limit is on header fields. */
const REQUEST_LINE_ALLOWANCE_BYTES = 8 * 1024;

/**
 * HttpServer on node:http: the portable inbound server, used where the µWebSockets native
 * binary does not exist (Node 22, 24) or when PROX_HTTP_SERVER=node asks for it. Slower than
 * µWS, same behaviour: the request hygiene checks are the µWS adapter's, and node's own parser
 * (strict mode) rejects malformed framing before prox sees it.
 */
export class NodeHttpServer implements HttpServer {
  private readonly listeners: { server: Server; policy: ConnectionPolicy }[] = [];

  constructor(
    private readonly logger: Logger,
    /** Set in the worker processes of `workers: N`, which share the port on purpose. */
    private readonly portSharedWithSiblings = false,
  ) {}

  async listen(spec: ListenSpec, handler: ExchangeHandler): Promise<BoundListener> {
    const { server, policy } = createInboundHttpServer(spec, handler, this.logger, 'http');
    await bindListener(server, spec, this.portSharedWithSiblings, 'node:http');
    const entry = { server, policy };
    this.listeners.push(entry);
    const stopAccepting = async (): Promise<void> => {
      const index = this.listeners.indexOf(entry);
      if (index < 0) return;
      this.listeners.splice(index, 1);
      stop(entry);
    };
    return { host: spec.host, port: (server.address() as AddressInfo).port, protocol: 'http/1.1', stopAccepting };
  }

  async stopAccepting(): Promise<void> {
    for (const entry of this.listeners.splice(0)) stop(entry);
  }
}

/**
 * A configured node:http server for one listener, not yet listening: prox's hygiene checks, limits
 * and timeouts, requests handed to `handler`. The plaintext listener binds it (and caps its
 * connections); the TLS listener feeds it the HTTP/1.1 connections it accepted and capped (`scheme` https).
 */
export function createInboundHttpServer(
  spec: ListenSpec,
  handler: ExchangeHandler,
  logger: Logger,
  scheme: 'http' | 'https',
): { server: Server; policy: ConnectionPolicy } {
  const policy = new ConnectionPolicy();
  const server = createServer({
    // Missing or bad Host gets prox's own JSON 400 from the shared hygiene checks.
    requireHostHeader: false,
    insecureHTTPParser: false,
    maxHeaderSize: spec.limits.maxHeaderBytes + REQUEST_LINE_ALLOWANCE_BYTES,
    // limits.header_timeout_secs: node answers a late head 408 (client-errors.ts) and closes.
    headersTimeout: spec.limits.headerTimeoutMs,
    connectionsCheckingInterval: Math.min(MAX_TIMEOUT_CHECK_INTERVAL_MS, spec.limits.headerTimeoutMs),
    // Uploads and downloads may legitimately take long; body_timeout_secs (InboundBody) bounds a
    // stalled body and route timeouts bound the upstream side.
    requestTimeout: 0,
    keepAliveTimeout: spec.limits.keepaliveTimeoutMs,
    noDelay: true,
  });
  // The count is checked (431) by the hygiene checks; node would silently drop the excess.
  server.maxHeadersCount = 0;
  const onRequest = requestListener(handler, spec, policy, logger, scheme);
  server.on('request', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, false));
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, true));
  // Other expectations are ignored, as µWebSockets does, instead of node's bare 417.
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => onRequest(req, res, false));
  server.on('clientError', clientErrorListener(policy));
  // Requests with Upgrade come here instead of 'request'. A WebSocket one may be tunnelled; any
  // other (h2c, ...) is served as a plain request. Either way the answer goes through an ordinary
  // ServerResponse on the socket, and the connection is not reused for HTTP afterwards.
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket);
    socket.on('error', () => socket.destroy());
    // node's server let go of this socket (no keep-alive timer, no close after the response): an
    // upgrade answered with a plain response (refused, not found, not a WebSocket one) closes
    // here, or the connection would stay open for good. After a 101 the socket was detached.
    res.once('finish', () => {
      if (res.socket !== null) socket.destroySoon();
    });
    onRequest(req, res, false, head);
  });
  return { server, policy };
}

/**
 * The HTTP/1.1 side of a TLS listener: a node:http server that is fed the connections whose
 * ALPN chose http/1.1 (`server.emit('connection', tlsSocket)`), with every check of the plaintext
 * server. `stop` lets in-flight exchanges finish and closes idle connections.
 */
export function createHttpsConnectionServer(spec: ListenSpec, handler: ExchangeHandler, logger: Logger): { server: Server; stop(): void } {
  const entry = createInboundHttpServer(spec, handler, logger, 'https');
  // node starts its headersTimeout/idle checks when a server starts listening; this one never
  // listens (the TLS server does), so start them the same way.
  entry.server.emit('listening');
  return { server: entry.server, stop: () => stop(entry) };
}

function stop(entry: { server: Server; policy: ConnectionPolicy }): void {
  entry.policy.stopped = true;
  // close() waits for every connection; in-flight exchanges go on, idle ones close now.
  entry.server.close();
  entry.server.closeIdleConnections();
}

function requestListener(
  handler: ExchangeHandler,
  spec: ListenSpec,
  policy: ConnectionPolicy,
  logger: Logger,
  scheme: 'http' | 'https',
): (req: IncomingMessage, res: ServerResponse, expectsContinue: boolean, upgradeHead?: Buffer) => void {
  const limits = spec.limits;
  return (req, res, expectsContinue, upgradeHead) => {
    const socket = req.socket;
    if (policy.isClosing(socket)) return ignorePipelined(res, socket);
    const { headers: collected, bytes } = lowerCasedHeaders(req.rawHeaders);
    const framing = inspectRequest(collected, bytes, limits);
    if (isVerdict(framing)) return rejectAndClose(res, socket, policy, framing);
    const headers = framing.repeatedContentLength ? withSingleContentLength(collected) : collected;
    const closeConnection = framing.connectionClose || !res.shouldKeepAlive;
    if (closeConnection) policy.markClosing(socket);
    if (expectsContinue) res.writeContinue();

    const url = req.url ?? '/';
    const mark = url.indexOf('?');
    const exchange = new NodeExchange(
      req,
      res,
      policy,
      req.method ?? 'GET',
      mark === -1 ? url : url.slice(0, mark),
      mark === -1 ? '' : url.slice(mark + 1),
      hostnameOf(framing.host),
      framing.host,
      headers,
      remoteAddressOf(socket),
      scheme,
      scheme === 'https' ? ((socket as TLSSocket).getProtocol?.() ?? null) : null,
      framing.chunked || framing.contentLength !== null,
      limits,
      closeConnection,
    );
    if (upgradeHead !== undefined && exchange.body === null && isWebSocketUpgrade(exchange.method, headers)) {
      exchange.upgrade = new TunnelUpgrade(exchange, socket, upgradeHead, () => res.detachSocket(socket));
    }
    try {
      handler.handle(exchange);
    } catch (error) {
      logger.error('request handler failed', { error: String(error), path: exchange.path });
      exchange.failInternally();
    }
  };
}

/**
 * A request parsed behind one whose answer closes the connection: it is never served. Queued
 * behind that answer (`res.socket` null), it dies with the connection; otherwise nothing is
 * left to answer on this connection, so it closes now.
 */
function ignorePipelined(res: ServerResponse, socket: Socket): void {
  if (res.socket !== null) socket.destroy();
}

function rejectAndClose(res: ServerResponse, socket: Socket, policy: ConnectionPolicy, verdict: HygieneVerdict): void {
  policy.markClosing(socket);
  const body = JSON.stringify({ error: verdict.code, status: verdict.status });
  res.shouldKeepAlive = false;
  res.writeHead(verdict.status, statusLine(verdict.status).slice(4), [
    'content-type',
    'application/json',
    'content-length',
    String(Buffer.byteLength(body)),
  ]);
  res.end(body);
}
