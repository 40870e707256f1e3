import { once } from 'node:events';
import { AddressInfo, createServer } from 'node:net';

/** A loopback port that was free a moment ago (bound, read, released). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  return port;
}
