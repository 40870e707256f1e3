import type { Server as NetServer, Socket } from 'node:net';

/**
 * Counts the open connections of one listener, in total and per client address, and says
 * whether a new one may stay (`limits.max_connections`, `limits.max_connections_per_ip`).
 * A refused connection is closed by the caller before any byte is read, so a client that
 * opens connections until refused costs the listener nothing beyond the accept.
 */
export class ConnectionAdmission {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly maxConnections: number | null,
    private readonly maxPerAddress: number | null,
  ) {}

  /** Whether either cap is set; without one a listener skips the bookkeeping. */
  get active(): boolean {
    return this.maxConnections !== null || this.maxPerAddress !== null;
  }

  /** Admits the connection (counting it until `release`) or returns false. */
  admit(address: string): boolean {
    if (this.maxConnections !== null && this.total >= this.maxConnections) return false;
    const fromAddress = this.perAddress.get(address) ?? 0;
    if (this.maxPerAddress !== null && fromAddress >= this.maxPerAddress) return false;
    this.total += 1;
    this.perAddress.set(address, fromAddress + 1);
    return true;
  }

  /** An admitted connection closed. */
  release(address: string): void {
    this.total -= 1;
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.perAddress.delete(address);
    else this.perAddress.set(address, left);
  }

  get openConnections(): number {
    return this.total;
  }
}

/**
 * Puts `admission` in front of a node server's connection handling: a refused connection is
 * destroyed before the server's own listeners (HTTP parser, TLS handshake) ever see it. Does
 * nothing when no cap is set.
 */
export function guardConnections(server: NetServer, admission: ConnectionAdmission): void {
  if (!admission.active) return;
  const serverListeners = server.listeners('connection') as ((socket: Socket) => void)[];
  server.removeAllListeners('connection');
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? '';
    if (!admission.admit(address)) {
      socket.destroy();
      return;
    }
    socket.once('close', () => admission.release(address));
    for (const listener of serverListeners) listener.call(server, socket);
  });
}
