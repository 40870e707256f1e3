import type { IncomingMessage } from 'node:http';
import type { HttpResponse, us_socket_context_t, WebSocket as UwsWebSocket, WebSocketBehavior } from 'uWebSockets.js';
import WebSocket from 'ws';
import type { UpstreamClient, UpstreamFailure, UpstreamFailureKind } from '../../ports/upstream-client';
import type { WebSocketCloser, WebSocketEvents, WebSocketPlan, WebSocketSession, WebSocketUpgrade } from '../../ports/websocket';
import { buildClientResponseHead } from '../../core/forwarding/response-headers';
import type { UwsExchange } from './uws-exchange';

/**
 * Largest message µWS accepts from a client at all (its `maxPayloadLength`, one setting per app).
 * A route's `max_message_bytes` below it closes with 1009 and a close frame; a message above it
 * is cut by µWS without one (the client sees 1006).
 */
export const UWS_MAX_PAYLOAD_BYTES = 64 * 1024 * 1024;
/** Past this much waiting for the client, reading from the upstream pauses (resumed on uWS `drain`). */
const CLIENT_HIGH_WATER_BYTES = 1024 * 1024;
/**
 * uWS `send()` drops a message once this much waits for the client. Reading pauses at the high
 * water, so only what the upstream's socket had already delivered (at most a message plus a read)
 * can come on top; a drop anyway closes the session with 1013 instead of losing the message.
 */
export const UWS_MAX_BACKPRESSURE_BYTES = UWS_MAX_PAYLOAD_BYTES + 4 * CLIENT_HIGH_WATER_BYTES;
/** uWS cannot stop reading from a client: what the upstream has not taken may grow this far over one message, then 1013. */
const UPSTREAM_BUFFER_SLACK_BYTES = 4 * 1024 * 1024;
/** After prox closes a session, peers that do not finish the close handshake are cut after this. */
const CLOSE_GRACE_MS = 2_000;
/** Headers of the upstream's 101 that uWS writes itself (or that describe the upstream hop only). */
const OWN_101_HEADERS = new Set(['upgrade', 'connection', 'sec-websocket-accept', 'sec-websocket-protocol', 'sec-websocket-extensions', 'date', 'content-length', 'transfer-encoding']);
/** Request headers the `ws` client writes itself. */
const CLIENT_WRITES = new Set(['sec-websocket-key', 'sec-websocket-version', 'sec-websocket-protocol', 'sec-websocket-extensions', 'connection', 'upgrade']);

/** What each uWS WebSocket carries: its relay, set when the upgrade is made. */
export interface RelayUserData {
  relay: UwsRelay | null;
}

/**
 * The WebSocket upgrade on µWebSockets, which cannot hand over the client's socket: the upstream
 * WebSocket is opened with `ws` first; a refusal is relayed as an HTTP answer through the exchange;
 * after the upstream's open uWS upgrades the client with the subprotocol the upstream chose, and
 * messages are relayed one by one (ping/pong and permessage-deflate are per hop).
 */
export class UwsRelayUpgrade implements WebSocketUpgrade {
  constructor(
    private readonly exchange: UwsExchange,
    private readonly key: string,
    private readonly context: us_socket_context_t,
  ) {}

  proxy(plan: WebSocketPlan, _upstreams: UpstreamClient, events: WebSocketEvents): WebSocketSession {
    const relay = new UwsRelay(this.exchange, this.key, this.context, plan, events);
    relay.start();
    return relay;
  }
}

export class UwsRelay implements WebSocketSession {
  private upstream: WebSocket | null = null;
  private client: UwsWebSocket<RelayUserData> | null = null;
  private handshakeOver = false;
  private upgradeHeaders: string[] = [];
  private closeRequested: { code: number; reason: string } | null = null;
  private firstCloser: WebSocketCloser | null = null;
  private code: number | null = null;
  private clientOpen = false;
  /** The 101 is out and the core was told (`opened`); until then the session cannot finish. */
  private started = false;
  private upstreamOpen = false;
  private proxyClosed = false;
  private ended = false;
  private paused = false;
  private idle: NodeJS.Timeout | null = null;
  private grace: NodeJS.Timeout | null = null;
  private readonly upstreamCap: number;

  constructor(
    private readonly exchange: UwsExchange,
    private readonly key: string,
    private readonly context: us_socket_context_t,
    private readonly plan: WebSocketPlan,
    private readonly events: WebSocketEvents,
  ) {
    this.upstreamCap = plan.limits.maxMessageBytes + UPSTREAM_BUFFER_SLACK_BYTES;
  }

  start(): void {
    const request = this.plan.upstream;
    const headers: Record<string, string | string[]> = {};
    let protocols: string[] = [];
    for (let i = 0; i < request.headers.length; i += 2) {
      const name = request.headers[i];
      const value = request.headers[i + 1];
      if (name === 'sec-websocket-protocol') protocols.push(...value.split(','));
      if (CLIENT_WRITES.has(name)) continue;
      const had = headers[name];
      headers[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
    }
    protocols = protocols.map((p) => p.trim()).filter((p) => p.length > 0);
    const url = request.origin.replace(/^http/, 'ws') + request.pathAndQuery;
    let upstream: WebSocket;
    try {
      upstream = new WebSocket(url, protocols, {
        headers,
        perMessageDeflate: false,
        maxPayload: this.plan.limits.maxMessageBytes,
        handshakeTimeout: request.connectTimeoutMs + request.headersTimeoutMs,
        followRedirects: false,
      });
    } catch (error) {
      return this.handshakeFailed('protocol', String(error));
    }
    this.upstream = upstream;
    upstream.on('upgrade', (res: IncomingMessage) => {
      const raw = res.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const name = raw[i].toLowerCase();
        if (!OWN_101_HEADERS.has(name) && name !== this.plan.answerHeaders[0]) this.upgradeHeaders.push(name, raw[i + 1]);
      }
    });
    upstream.on('unexpected-response', (_req, res: IncomingMessage) => this.relayRefusal(res));
    upstream.on('open', () => this.upstreamOpened());
    upstream.on('error', (error: Error & { code?: string }) => {
      if (!this.handshakeOver) this.handshakeFailed(failureKind(error), error.message);
      else if (this.clientOpen && 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' === error.code) this.closeBoth(1009, 'message too big');
    });
    upstream.on('message', (data: Buffer, isBinary: boolean) => this.fromUpstream(data, isBinary));
    upstream.on('close', (code: number, reason: Buffer) => this.upstreamClosed(code, reason));
    this.exchange.onClientGone(() => {
      if (!this.handshakeOver) upstream.terminate();
    });
  }

  close(code: number, reason: string): void {
    if (this.client !== null) this.closeBoth(code, reason);
    else if (!this.handshakeOver) this.closeRequested = { code, reason };
  }

  // ---- the handshake ------------------------------------------------------------------------

  private handshakeFailed(kind: UpstreamFailureKind, detail: string): void {
    if (this.handshakeOver) return;
    this.handshakeOver = true;
    const failure: UpstreamFailure = { kind, requestSent: kind !== 'connect_refused' && kind !== 'connect_timeout', detail };
    this.events.handshakeFailed(failure);
  }

  private relayRefusal(res: IncomingMessage): void {
    if (this.handshakeOver) return;
    this.handshakeOver = true;
    const status = res.statusCode ?? 502;
    const raw = res.rawHeaders;
    const list: string[] = [];
    for (let i = 0; i < raw.length; i += 2) list.push(raw[i].toLowerCase(), raw[i + 1]);
    const head = buildClientResponseHead(list, this.plan.answerHeaders[0]);
    for (const header of this.plan.answerHeaders) head.headers.push(header);
    const exchange = this.exchange;
    exchange.startResponse(status, head.headers, head.contentLength);
    let over = false;
    const finish = (): void => {
      if (over) return;
      over = true;
      res.socket?.destroy();
      this.events.refused(status);
    };
    res.on('data', (chunk: Buffer) => {
      if (exchange.finished) return;
      if (!exchange.write(chunk)) {
        res.pause();
        exchange.onWritable(() => res.resume());
      }
    });
    res.on('end', () => {
      exchange.end();
      finish();
    });
    res.on('error', () => {
      exchange.abort();
      finish();
    });
    res.on('close', () => {
      if (!res.complete) exchange.abort();
      finish();
    });
    exchange.onClientGone(() => res.destroy());
  }

  private upstreamOpened(): void {
    const upstream = this.upstream!;
    if (this.handshakeOver) return void upstream.terminate();
    this.handshakeOver = true;
    this.upstreamOpen = true;
    const answer = this.plan.answerHeaders;
    const switched = this.exchange.switchProtocols((res: HttpResponse) => {
      // The status first, so uWS's upgrade keeps it and the headers below go into the 101.
      res.writeStatus('101 Switching Protocols');
      for (let i = 0; i < this.upgradeHeaders.length; i += 2) res.writeHeader(this.upgradeHeaders[i], this.upgradeHeaders[i + 1]);
      for (let i = 0; i < answer.length; i += 2) res.writeHeader(answer[i], answer[i + 1]);
      const userData: RelayUserData = { relay: this };
      res.upgrade(userData, this.key, upstream.protocol, '', this.context);
    });
    if (!switched) {
      // The client went away meanwhile.
      this.handshakeOver = false;
      this.handshakeFailed('other', 'client gone before the upgrade');
      upstream.terminate();
      return;
    }
    this.sessionStarted();
  }

  /**
   * The session's own start, once uWS's cork (and upgrade) has returned. Nothing of it runs in
   * uWS's `open` callback: µWS 20.30's `HttpResponse::cork`, after an upgrade made inside it, reads
   * the freed end of the socket's old HTTP state (the poll was shrunk in place for the WebSocket)
   * and closes the new WebSocket when those bytes look like "connection: close, response done";
   * memory allocated meanwhile can land there (docs/websocket.md, µWebSockets specifics). The less
   * runs before the cork returns, the less can be allocated in that window.
   */
  private sessionStarted(): void {
    this.started = true;
    this.events.opened();
    if (!this.clientOpen) {
      // uWS cut the client inside the upgrade (see above): the session ends as the close left it.
      this.firstCloser = 'proxy';
      return this.maybeFinish();
    }
    this.idle = setTimeout(() => this.closeBoth(1001, 'idle timeout'), this.plan.limits.idleTimeoutMs);
    if (this.closeRequested !== null) this.closeBoth(this.closeRequested.code, this.closeRequested.reason);
  }

  // ---- the session (uWS callbacks land here through RelayUserData) ---------------------------

  /** uWS `open`: called from inside `res.upgrade`, itself inside the cork; the rest waits for `sessionStarted`. */
  clientOpened(ws: UwsWebSocket<RelayUserData>): void {
    this.client = ws;
    this.clientOpen = true;
  }

  /** uWS `message`: `message` is neutered when this returns. */
  fromClient(message: ArrayBuffer, isBinary: boolean): void {
    this.idle?.refresh();
    if (this.proxyClosed || this.firstCloser !== null) return;
    const upstream = this.upstream!;
    if (message.byteLength > this.plan.limits.maxMessageBytes) return this.closeBoth(1009, 'message too big');
    if (upstream.readyState !== WebSocket.OPEN) return;
    upstream.send(Buffer.from(new Uint8Array(message)), { binary: isBinary });
    this.events.message('client_to_upstream', message.byteLength);
    // uWS cannot stop reading the client: an upstream that does not keep up ends the session.
    if (upstream.bufferedAmount > this.upstreamCap) this.closeBoth(1013, 'upstream too slow');
  }

  /** uWS `drain`. */
  clientDrained(ws: UwsWebSocket<RelayUserData>): void {
    if (this.paused && ws.getBufferedAmount() < CLIENT_HIGH_WATER_BYTES) {
      this.paused = false;
      this.upstream?.resume();
    }
  }

  /** uWS `close`: the client side is over (after a close handshake, or cut: 1006). */
  clientClosed(code: number, message: ArrayBuffer): void {
    this.clientOpen = false;
    this.client = null;
    const reason = Buffer.from(new Uint8Array(message)).toString();
    if (this.firstCloser === null) {
      this.firstCloser = 'client';
      this.code = code;
    }
    const upstream = this.upstream!;
    if (this.upstreamOpen && upstream.readyState === WebSocket.OPEN) {
      if (sendable(code)) upstream.close(code, reason);
      else if (code === 1005) upstream.close();
      else upstream.terminate();
      this.startGrace();
    }
    this.maybeFinish();
  }

  private fromUpstream(data: Buffer, isBinary: boolean): void {
    this.idle?.refresh();
    const client = this.client;
    if (client === null || this.proxyClosed) return;
    let sent = 0;
    // Outside a uWS callback: corked, or uWS may cut the socket around the write.
    client.cork(() => {
      sent = client.send(data, isBinary);
    });
    if (sent === 2) return this.closeBoth(1013, 'client too slow');
    this.events.message('upstream_to_client', data.byteLength);
    if (!this.paused && client.getBufferedAmount() > CLIENT_HIGH_WATER_BYTES) {
      this.paused = true;
      this.upstream!.pause();
    }
  }

  private upstreamClosed(code: number, reason: Buffer): void {
    if (!this.upstreamOpen) {
      // Closed during the handshake: the error event said why; make sure the core hears of it.
      this.handshakeFailed('reset', 'upstream closed during the handshake');
      return;
    }
    this.upstreamOpen = false;
    if (this.firstCloser === null) {
      this.firstCloser = 'upstream';
      this.code = code;
    }
    const client = this.client;
    if (client !== null && this.clientOpen && !this.proxyClosed) {
      client.cork(() => {
        if (sendable(code)) client.end(code, reason);
        else if (code === 1005) client.end();
        else client.close();
      });
      this.startGrace();
    }
    this.maybeFinish();
  }

  /** prox ends the session: close frames both ways, then cut what lingers. */
  private closeBoth(code: number, reason: string): void {
    if (this.proxyClosed || this.ended) return;
    this.proxyClosed = true;
    if (this.firstCloser === null) {
      this.firstCloser = 'proxy';
      this.code = code;
    }
    const client = this.client;
    if (this.clientOpen && client !== null) client.cork(() => client.end(code, reason));
    const upstream = this.upstream;
    if (this.upstreamOpen && upstream !== null && upstream.readyState === WebSocket.OPEN) upstream.close(code, reason);
    this.startGrace();
  }

  private startGrace(): void {
    // uWS runs the close handler inside end(): the session may be over already.
    if (this.ended) return;
    this.grace ??= setTimeout(() => {
      const client = this.client;
      if (this.clientOpen && client !== null) client.cork(() => client.close());
      this.upstream?.terminate();
    }, CLOSE_GRACE_MS);
  }

  private maybeFinish(): void {
    if (this.ended || !this.started || this.clientOpen || this.upstreamOpen) return;
    this.ended = true;
    if (this.idle !== null) clearTimeout(this.idle);
    if (this.grace !== null) clearTimeout(this.grace);
    this.events.closed(this.code ?? 1006, this.firstCloser ?? 'proxy');
  }
}

/** The `app.ws` behaviour's session callbacks, routed to each socket's relay. */
export function relayBehaviour(
  upgrade: (res: HttpResponse, req: import('uWebSockets.js').HttpRequest, context: us_socket_context_t) => void,
): WebSocketBehavior<RelayUserData> {
  return {
    maxPayloadLength: UWS_MAX_PAYLOAD_BYTES,
    maxBackpressure: UWS_MAX_BACKPRESSURE_BYTES,
    closeOnBackpressureLimit: 0,
    // Per hop: uWS pings the client and drops it when it stops answering; the `ws` client answers the upstream's pings.
    idleTimeout: 120,
    sendPingsAutomatically: true,
    upgrade,
    open: (ws) => ws.getUserData().relay?.clientOpened(ws),
    message: (ws, message, isBinary) => ws.getUserData().relay?.fromClient(message, isBinary),
    drain: (ws) => ws.getUserData().relay?.clientDrained(ws),
    close: (ws, code, message) => ws.getUserData().relay?.clientClosed(code, message),
  };
}

/** Close codes a peer may be sent (RFC 6455 §7.4). */
function sendable(code: number): boolean {
  return (code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999);
}

function failureKind(error: Error & { code?: string }): UpstreamFailureKind {
  switch (error.code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENOTFOUND':
      return 'connect_refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'reset';
    default:
      return error.message.includes('handshake has timed out') ? 'response_timeout' : 'other';
  }
}
