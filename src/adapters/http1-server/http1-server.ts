import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { BoundListener, ExchangeHandler, HttpServer, ListenSpec } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import { bindListener } from '../http-common/bind-listener';
import { Deadline, Http1Connection, type ConnectionContext } from './http1-connection';
import { keepAliveFields } from './response-head';

/** The head and idle deadlines are checked this often at most: a late head is answered within its timeout plus this. */
const MAX_SWEEP_INTERVAL_MS = 1_000;

/**
 * HttpServer on node:net with llhttp: prox's own HTTP/1.1 server (`engine: llhttp`). Same
 * parser and the same hygiene checks as the node:http engine, without node:http's per-request
 * IncomingMessage/ServerResponse streams, per-socket timers and header objects: a response
 * head is one string written with its first body bytes, and the head and keep-alive deadlines
 * of every connection are checked by one sweep per listener.
 */
export class Http1Server implements HttpServer {
  private readonly listeners: Listener[] = [];

  constructor(
    private readonly logger: Logger,
    /** Set in the worker processes of `workers: N`, which share the port on purpose. */
    private readonly portSharedWithSiblings = false,
  ) {}

  async listen(spec: ListenSpec, handler: ExchangeHandler): Promise<BoundListener> {
    const listener = new Listener(spec, handler, this.logger);
    try {
      await bindListener(listener.server, spec, this.portSharedWithSiblings, 'llhttp');
    } catch (error) {
      listener.stop();
      throw error;
    }
    this.listeners.push(listener);
    const stopAccepting = async (): Promise<void> => {
      const index = this.listeners.indexOf(listener);
      if (index < 0) return;
      this.listeners.splice(index, 1);
      listener.stop();
    };
    return { host: spec.host, port: (listener.server.address() as AddressInfo).port, protocol: 'http/1.1', stopAccepting };
  }

  async stopAccepting(): Promise<void> {
    for (const listener of this.listeners.splice(0)) listener.stop();
  }
}

/** One listening socket, its open connections and their deadline sweep. */
class Listener implements ConnectionContext {
  readonly server: Server;
  readonly limits: ListenSpec['limits'];
  readonly keepAliveFields: string;
  stopped = false;
  private readonly connections = new Set<Http1Connection>();
  private readonly sweep: NodeJS.Timeout;

  constructor(
    spec: ListenSpec,
    readonly handler: ExchangeHandler,
    readonly logger: Logger,
  ) {
    this.limits = spec.limits;
    this.keepAliveFields = keepAliveFields(spec.limits.keepaliveTimeoutMs);
    // allowHalfOpen: the connection decides what a client's half-close means (http1-connection.ts).
    this.server = createServer({ allowHalfOpen: true, noDelay: true }, (socket: Socket) => {
      if (this.stopped) {
        socket.destroy();
        return;
      }
      this.connections.add(new Http1Connection(socket, this));
    });
    const interval = Math.max(10, Math.min(MAX_SWEEP_INTERVAL_MS, spec.limits.headerTimeoutMs, spec.limits.keepaliveTimeoutMs));
    this.sweep = setInterval(() => this.expireLate(), interval).unref();
  }

  forget(connection: Http1Connection): void {
    this.connections.delete(connection);
  }

  private expireLate(): void {
    const now = Date.now();
    for (const connection of this.connections) {
      if (connection.deadline !== Deadline.None && now >= connection.deadlineAt) connection.expire();
    }
  }

  /** Stop accepting; idle connections close now, busy ones after their response. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.server.close();
    for (const connection of this.connections) connection.stop();
    // The deadlines still bound what is left (a head being received, a keep-alive being drained).
    if (this.connections.size === 0) clearInterval(this.sweep);
    else this.server.once('close', () => clearInterval(this.sweep));
  }
}
