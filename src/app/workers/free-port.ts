import { once } from 'node:events';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A port free on `host` right now. µWebSockets shares a port between processes (SO_REUSEPORT)
 * only when it is given a concrete one, so `listen_addr: ...:0` with workers becomes this port
 * for all of them. Another program could take it between this check and the first worker's
 * bind; that worker then fails to start and prox reports it.
 */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
