import { createServer, type Server, type Socket } from 'node:net';
import type { CompiledTcpListener } from '../../core/tcp/tcp-listener';
import type { TcpBoundListener, TcpObserver, TcpProxyServer } from '../../ports/tcp-proxy';
import { TcpRelay } from './tcp-relay';

/** `tcp:` listeners on node:net. */
export class NodeTcpProxyServer implements TcpProxyServer {
  constructor(private readonly observer: TcpObserver) {}

  async listen(listener: CompiledTcpListener): Promise<TcpBoundListener> {
    const bound = new NodeTcpListener(listener, this.observer);
    await bound.bind();
    return bound;
  }
}

class NodeTcpListener implements TcpBoundListener {
  private readonly server: Server;
  private readonly relays = new Set<TcpRelay>();
  private idleWaiters: (() => void)[] = [];
  host = '';
  port = 0;

  constructor(
    private current: CompiledTcpListener,
    private readonly observer: TcpObserver,
  ) {
    // pauseOnConnect: no byte is read before the relay decides where it goes.
    this.server = createServer({ allowHalfOpen: true, pauseOnConnect: true, noDelay: true }, (socket) => this.accept(socket));
  }

  get openConnections(): number {
    return this.relays.size;
  }

  bind(): Promise<void> {
    const { host, port } = this.current.config.listenAddr;
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port, backlog: 4096 }, () => {
        this.server.off('error', reject);
        const address = this.server.address();
        if (address !== null && typeof address === 'object') {
          this.host = address.address;
          this.port = address.port;
        }
        resolve();
      });
    });
  }

  replace(listener: CompiledTcpListener): void {
    this.current = listener;
  }

  stopAccepting(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      // close() waits for open connections before its callback; we only need the socket unbound.
      this.server.close();
      resolve();
    });
  }

  async drain(timeoutMs: number): Promise<boolean> {
    if (this.relays.size === 0) return true;
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const drained = await Promise.race([idle.then(() => true), timedOut]);
    clearTimeout(timer);
    if (!drained) {
      for (const relay of [...this.relays]) relay.close('shutdown');
      // Destroyed sockets close within a tick or two: wait, so their access-log lines and
      // metrics are written before the caller closes the access log.
      await idle;
    }
    return drained;
  }

  private accept(socket: Socket): void {
    const listener = this.current;
    this.observer.connectionOpened(listener.key);
    if (this.relays.size >= listener.config.maxConnections) {
      socket.on('error', () => undefined);
      socket.destroy();
      this.observer.connectionClosed({
        listener: listener.key,
        client: `${socket.remoteAddress ?? ''}:${socket.remotePort ?? 0}`,
        backend: null,
        outcome: 'rejected',
        closeReason: 'max_connections',
        bytesIn: 0,
        bytesOut: 0,
        durationMs: 0,
        startedAt: Date.now(),
      });
      return;
    }
    const relay = new TcpRelay(socket, listener, (record) => {
      this.relays.delete(relay);
      this.observer.connectionClosed(record);
      if (this.relays.size === 0) {
        const waiters = this.idleWaiters;
        this.idleWaiters = [];
        for (const wake of waiters) wake();
      }
    });
    this.relays.add(relay);
    relay.start();
  }
}
