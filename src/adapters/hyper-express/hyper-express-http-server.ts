import type { HttpRequest, HttpResponse, us_socket_context_t } from 'uWebSockets.js';
import type { Server as HyperExpressServer } from 'hyper-express';
import type { BoundListener, ExchangeHandler, HttpServer, ListenSpec } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import { formatListenAddress } from '../../config/listen-address';
import { loadNativeUws } from './native-uws';
import { assertPortFree } from './port-in-use';
import { remoteAddressOf } from './remote-address';
import { HygieneVerdict, hostnameOf, inspectRequest, isVerdict, withSingleContentLength } from '../http-common/request-hygiene';
import { statusLine } from '../http-common/status-lines';
import { UwsExchange } from './uws-exchange';
import { limitsUwsIgnores } from './uws-limits';
import { isWebSocketUpgrade } from '../http-common/websocket-request';
import { relayBehaviour, UwsRelayUpgrade } from './uws-websocket-relay';

/**
 * HttpServer on hyper-express / µWebSockets.
 *
 * hyper-express owns the uWS app and its listen/close lifecycle; requests are taken straight
 * from the uWS callback instead of through hyper-express's Request object, because prox needs
 * the raw header list (duplicates included) to enforce HTTP framing rules, and needs to stream
 * bodies with explicit flow control rather than through Node streams.
 */
export class HyperExpressHttpServer implements HttpServer {
  private readonly servers: HyperExpressServer[] = [];

  constructor(
    private readonly logger: Logger,
    /** Set in the worker processes of `workers: N`, which share the port on purpose. */
    private readonly portSharedWithSiblings = false,
  ) {}

  async listen(spec: ListenSpec, handler: ExchangeHandler): Promise<BoundListener> {
    loadNativeUws();
    const ignored = limitsUwsIgnores(spec.limits);
    if (ignored.length > 0) {
      this.logger.warn('limits not enforced by the µWebSockets engine (PROX_HTTP_SERVER=node enforces them)', {
        address: formatListenAddress(spec),
        ignored,
      });
    }
    if (!this.portSharedWithSiblings) {
      try {
        await assertPortFree(spec.host, spec.port);
      } catch (error) {
        throw new Error(`cannot listen on ${formatListenAddress(spec)}: ${(error as Error).message}`);
      }
    }
    // Loaded only after the native binary is proven, so its fallback never runs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand (see above)
    const { Server } = require('hyper-express') as typeof import('hyper-express');
    const server = new Server({ auto_close: false });
    // prox routes every request itself; hyper-express must not add its catch-all 404.
    (server.handlers as { on_not_found: unknown }).on_not_found = null;
    // WebSocket upgrades are terminated here and relayed (docs/websocket.md); uWS yields any
    // other request, and an upgrade that is not a WebSocket one, to the `any` handler.
    // PROX_UWS_WEBSOCKET=0 turns the relay off: upgrades then go upstream as plain requests.
    if (process.env.PROX_UWS_WEBSOCKET !== '0') server.uws_instance.ws('/*', relayBehaviour(upgradeCallback(handler, spec, 'http', this.logger)));
    server.uws_instance.any('/*', requestCallback(handler, spec, 'http', this.logger));
    try {
      await server.listen(spec.port, spec.host);
    } catch (error) {
      throw new Error(`cannot listen on ${formatListenAddress(spec)}: address in use or not available (${String(error)})`);
    }
    this.servers.push(server);
    const stopAccepting = async (): Promise<void> => {
      const index = this.servers.indexOf(server);
      if (index < 0) return;
      this.servers.splice(index, 1);
      server.close();
    };
    return { host: spec.host, port: server.port, protocol: 'http/1.1', stopAccepting };
  }

  async stopAccepting(): Promise<void> {
    for (const server of this.servers.splice(0)) server.close();
  }
}

/** Scratch list filled by `collectHeader`; avoids a closure per request. */
let collected: string[] = [];
let collectedBytes = 0;
function collectHeader(name: string, value: string): void {
  collected.push(name, value);
  collectedBytes += name.length + value.length + 4;
}

function requestCallback(
  handler: ExchangeHandler,
  spec: ListenSpec,
  scheme: 'http' | 'https',
  logger: Logger,
): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => serve(res, req, handler, spec, scheme, logger, null);
}

/** The `upgrade` of the `app.ws` behaviour: a WebSocket upgrade becomes an exchange with the relay as its upgrade. */
function upgradeCallback(
  handler: ExchangeHandler,
  spec: ListenSpec,
  scheme: 'http' | 'https',
  logger: Logger,
): (res: HttpResponse, req: HttpRequest, context: us_socket_context_t) => void {
  return (res, req, context) => serve(res, req, handler, spec, scheme, logger, context);
}

function serve(
  res: HttpResponse,
  req: HttpRequest,
  handler: ExchangeHandler,
  spec: ListenSpec,
  scheme: 'http' | 'https',
  logger: Logger,
  /** Set when uWS routed the request to the `ws` behaviour. */
  wsContext: us_socket_context_t | null,
): void {
  const limits = spec.limits;
  {
    collected = [];
    collectedBytes = 0;
    req.forEach(collectHeader);
    const framing = inspectRequest(collected, collectedBytes, limits);
    if (isVerdict(framing)) return rejectAndClose(res, framing);
    const headers = framing.repeatedContentLength ? withSingleContentLength(collected) : collected;
    const method = req.getCaseSensitiveMethod();
    const hasBody = framing.chunked || framing.contentLength !== null;
    if (wsContext !== null && (hasBody || !isWebSocketUpgrade(method, headers))) {
      // Not a WebSocket upgrade after all: served by the `any` handler as plain HTTP.
      req.setYield(true);
      return;
    }

    const exchange = new UwsExchange(
      res,
      method,
      req.getUrl(),
      req.getQuery() ?? '',
      hostnameOf(framing.host),
      framing.host,
      headers,
      remoteAddressOf(res),
      scheme,
      hasBody,
      limits,
      framing.connectionClose,
    );
    if (wsContext !== null) exchange.upgrade = new UwsRelayUpgrade(exchange, headerOf(headers, 'sec-websocket-key'), wsContext);
    res.onAborted(exchange.handleAborted);
    if (exchange.body !== null) res.onData(bodyDataHandler(exchange));
    try {
      handler.handle(exchange);
    } catch (error) {
      logger.error('request handler failed', { error: String(error), path: exchange.path });
      exchange.failInternally();
    }
    leaveUwsCallback(exchange);
  }
}

function headerOf(headers: readonly string[], name: string): string {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return '';
}

/**
 * Ends the window in which a closing response must be deferred (`inRequestCallback`).
 *
 * uWS.js drains process.nextTick and microtasks after each JS callback while its parser is still
 * working through the same read: a response ended with `closeConnection` in that drain is only
 * corked, the close waits for the end of the read, and meanwhile the parser takes the next
 * pipelined request as a new, legitimate one (the previous response is no longer pending) and
 * serves it. So when the response will close the connection, the window stays open until the
 * next turn, when uWS has finished the read: a response in it is written on that turn, and a
 * pipelined request parsed before it makes uWS drop the connection instead.
 */
function leaveUwsCallback(exchange: UwsExchange): void {
  if (exchange.closeConnection && !exchange.finished) {
    setImmediate(() => {
      exchange.inRequestCallback = false;
    });
  } else {
    exchange.inRequestCallback = false;
  }
}

/**
 * Body chunks arrive from inside the uWS parser too. A body over `max_body_bytes` makes the
 * exchange close the connection, and its 413 can be written from the drain that follows this
 * callback; without the window the rest of the read (a request pipelined after the body) would
 * be served on a connection the 413 said was closing.
 */
function bodyDataHandler(exchange: UwsExchange): (data: ArrayBuffer, isLast: boolean) => void {
  return (data, isLast) => {
    if (exchange.inRequestCallback) {
      // A window from an earlier callback of this read is still open and closes next turn.
      exchange.handleData(data, isLast);
      return;
    }
    exchange.inRequestCallback = true;
    exchange.handleData(data, isLast);
    leaveUwsCallback(exchange);
  };
}

/**
 * Answers a request that breaks framing rules and closes the connection.
 *
 * The answer is written on the next turn, not here: uWS parses a pipelined request that follows
 * in the same packet as soon as this callback returns, and it drops the connection when a new
 * request arrives while one is unanswered. So a smuggled request is never served, and an honest
 * client still reads the status. (A synchronous `close()` would discard the corked status.)
 */
function rejectAndClose(res: HttpResponse, verdict: HygieneVerdict): void {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const body = JSON.stringify({ error: verdict.code, status: verdict.status });
  setImmediate(() => {
    if (aborted) return;
    res.cork(() => {
      res.writeStatus(statusLine(verdict.status)).writeHeader('content-type', 'application/json').end(body, true);
    });
  });
}
