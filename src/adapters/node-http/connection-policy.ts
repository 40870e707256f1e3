import type { Socket } from 'node:net';

/**
 * Which connections of one listener must close after their current response.
 *
 * node:http keeps parsing requests pipelined behind one whose answer closes the connection and
 * hands them out as new requests; a connection marked here serves none of them (the closing
 * response then ends the connection). After `stop`, every response closes its connection so
 * keep-alive clients move to the new listener or notice the shutdown.
 */
export class ConnectionPolicy {
  private readonly closing = new WeakSet<Socket>();
  stopped = false;

  markClosing(socket: Socket): void {
    this.closing.add(socket);
  }

  isClosing(socket: Socket): boolean {
    return this.closing.has(socket);
  }
}
