import type { Socket } from 'node:net';

/** The peer address in its usual text form: IPv4 clients of a dual-stack socket as IPv4. */
export function remoteAddressOf(socket: Socket): string {
  const address = socket.remoteAddress ?? '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
