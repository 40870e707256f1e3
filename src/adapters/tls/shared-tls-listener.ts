import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';

/**
 * The TLS port of `workers: N` on a Node without SO_REUSEPORT for net servers (before 22.12):
 * the supervisor binds it once and hands the listening socket to every worker over IPC; the
 * workers accept on it directly (the kernel spreads connections) and terminate TLS themselves.
 * The odd connection the supervisor's own copy accepts is passed on to a worker unread.
 */
export class SharedTlsListener {
  private constructor(private readonly server: Server) {}

  static async open(host: string, port: number, pickWorker: () => ChildProcess | null): Promise<SharedTlsListener> {
    const server = createServer({ pauseOnConnect: true });
    server.listen({ host, port });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
    server.on('connection', (socket: Socket) => {
      const child = pickWorker();
      if (child === null || !child.connected) {
        socket.destroy();
        return;
      }
      child.send({ type: 'tls-connection' }, socket, { keepOpen: false }, (error) => {
        if (error) socket.destroy();
      });
    });
    return new SharedTlsListener(server);
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  handTo(child: ChildProcess): void {
    child.send({ type: 'tls-listener' }, this.server);
  }

  close(): void {
    this.server.close();
  }
}

/**
 * The worker side: the listening TLS socket the supervisor hands over, and the connections its
 * own copy accepted, passed on unread. Call it before the worker awaits anything, so the
 * supervisor's first message (sent at fork) is not missed.
 */
export function receiveSharedTlsListener(): { listener: Promise<Server>; onConnection(adopt: (socket: Socket) => void): void } {
  let adopt: ((socket: Socket) => void) | null = null;
  const early: Socket[] = [];
  const listener = new Promise<Server>((resolve) => {
    process.on('message', (message: { type?: string }, handle: unknown) => {
      if (message.type === 'tls-listener') resolve(handle as Server);
      else if (message.type === 'tls-connection' && handle !== undefined) {
        if (adopt === null) early.push(handle as Socket);
        else adopt(handle as Socket);
      }
    });
  });
  return {
    listener,
    onConnection(callback) {
      adopt = callback;
      for (const socket of early.splice(0)) callback(socket);
    },
  };
}
