import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { UpstreamTls } from '../../ports/upstream-client';
import { classifyUpstreamError } from '../http-common/upstream-failures';
import { tlsConnectOptions } from '../http-common/upstream-tls-options';
import { UpstreamConnection, type ConnectionOwner } from './connection';
import type { Http1Exchange } from './exchange';

export interface OriginPoolSettings {
  /** `scheme://host:port` */
  readonly origin: string;
  readonly tls: UpstreamTls | null;
  readonly connectTimeoutMs: number;
  /** Most connections open at once; further requests wait for one. */
  readonly maxConnections: number;
  readonly keepAliveTimeoutMs: number;
  readonly maxHeaderSize: number;
}

/** TCP keep-alive probes on upstream connections, as undici sets them. */
const TCP_KEEPALIVE_DELAY_MS = 60_000;

/**
 * The connections to one origin: idle ones reused last-in first-out (the warmest socket, and
 * the others age out), new ones opened while requests wait and the limit allows, and a queue
 * for the requests beyond it.
 */
export class OriginPool implements ConnectionOwner {
  readonly connections = new Set<UpstreamConnection>();
  private readonly idle: UpstreamConnection[] = [];
  private waiting: Http1Exchange[] = [];
  private connecting = 0;
  private closing = false;
  private closed: (() => void) | null = null;
  private readonly host: string;
  private readonly port: number;
  private readonly tlsOptions: ConnectionOptions | null;
  /** The last TLS session the upstream gave us, offered again to skip full handshakes. */
  private tlsSession: Buffer | undefined = undefined;

  constructor(private readonly settings: OriginPoolSettings) {
    const url = new URL(settings.origin);
    this.host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    this.tlsOptions = settings.tls === null ? null : { ...tlsConnectOptions(settings.tls), ALPNProtocols: ['http/1.1'] };
  }

  dispatch(exchange: Http1Exchange): void {
    if (this.closing) return failSoon(exchange, 'the upstream pool is closing');
    const connection = this.idle.pop();
    if (connection !== undefined) return exchange.start(connection);
    this.waiting.push(exchange);
    this.openForWaiting();
  }

  release(connection: UpstreamConnection): void {
    if (this.closing) return connection.destroy();
    const next = this.nextWaiting();
    if (next !== null) return next.start(connection);
    connection.idleSince = performance.now();
    this.idle.push(connection);
  }

  remove(connection: UpstreamConnection): void {
    this.connections.delete(connection);
    const at = this.idle.indexOf(connection);
    if (at >= 0) this.idle.splice(at, 1);
    if (this.closing) this.settleClose();
    // A request that waited for this connection's slot gets a new connection.
    else this.openForWaiting();
  }

  resend(exchange: Http1Exchange): void {
    if (this.closing) return exchange.fail('reset', 'the upstream connection closed and the pool is closing');
    // First in line: it has waited longest. Another connection frees up or a new one opens.
    this.waiting.unshift(exchange);
    this.openForWaiting();
  }

  /** Close connections idle past their time and fail requests whose upstream went silent. */
  sweep(now: number): void {
    for (const connection of this.connections) {
      const exchange = connection.exchange;
      if (exchange === null) {
        if (now - connection.idleSince > connection.idleTimeoutMs) connection.destroy();
      } else if (now > exchange.deadlineAt) {
        connection.failExchange('response_timeout', exchange.responded ? 'the upstream stopped sending the response body' : 'the upstream did not answer in time');
      }
    }
  }

  /** Stop taking requests; resolves once every connection is gone. */
  close(abortInFlight: boolean): Promise<void> {
    this.closing = true;
    for (const exchange of this.waiting.splice(0)) exchange.fail('other', 'the upstream pool closed');
    for (const connection of [...this.connections]) {
      if (abortInFlight || connection.exchange === null) connection.destroy();
    }
    if (this.connections.size === 0 && this.connecting === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.closed = resolve;
    });
  }

  private settleClose(): void {
    if (this.connections.size === 0 && this.connecting === 0 && this.closed !== null) {
      this.closed();
      this.closed = null;
    }
  }

  private nextWaiting(): Http1Exchange | null {
    while (this.waiting.length > 0) {
      const exchange = this.waiting.shift()!;
      if (exchange.waiting) return exchange;
    }
    return null;
  }

  /** Opens a connection when more requests wait than connections are being opened, within the limit. */
  private openForWaiting(): void {
    if (this.connecting < this.waiting.length && this.connections.size + this.connecting < this.settings.maxConnections) this.open();
  }

  private open(): void {
    this.connecting += 1;
    const socket: Socket | TLSSocket =
      this.tlsOptions === null
        ? connectTcp({ host: this.host, port: this.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEPALIVE_DELAY_MS })
        : connectTls({ ...this.tlsOptions, host: this.host, port: this.port, session: this.tlsSession }).setNoDelay(true).setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
    let settled = false;
    const timer = setTimeout(() => onFailure(Object.assign(new Error(`connect timeout after ${this.settings.connectTimeoutMs} ms`), { code: 'UND_ERR_CONNECT_TIMEOUT' })), this.settings.connectTimeoutMs);
    const onFailure = (error: Error & { code?: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      this.connecting -= 1;
      // The request that has waited longest fails with the attempt.
      this.nextWaiting()?.fail(classifyUpstreamError(error), `${error.code ?? error.name}: ${error.message}`);
      if (this.closing) this.settleClose();
    };
    const onConnected = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', onFailure);
      socket.off('close', onEarlyClose);
      this.connecting -= 1;
      const connection = new UpstreamConnection(socket, this, this.settings.keepAliveTimeoutMs, this.settings.maxHeaderSize);
      this.connections.add(connection);
      this.release(connection);
    };
    const onEarlyClose = (): void => onFailure(Object.assign(new Error('the upstream closed the connection during the handshake'), { code: 'ECONNRESET' }));
    socket.once('error', onFailure);
    socket.once('close', onEarlyClose);
    if (this.tlsOptions === null) socket.once('connect', onConnected);
    else {
      socket.once('secureConnect', onConnected);
      socket.on('session', (session: Buffer) => (this.tlsSession = session));
    }
  }
}

/** Fails the exchange after `dispatch` has returned it, as the port's callers expect. */
export function failSoon(exchange: Http1Exchange, detail: string): void {
  process.nextTick(() => exchange.fail('other', detail));
}
