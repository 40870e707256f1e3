import { once } from 'node:events';
import type { Server } from 'node:net';
import type { ListenSpec } from '../../ports/http-server';
import { formatListenAddress } from '../../config/listen-address';
import { ConnectionAdmission, guardConnections } from './connection-admission';
import { supportsReusePort } from './reuse-port';

/**
 * Binds a node:net-based server (node:http, prox's llhttp server) to the listener's address,
 * with the connection caps in front of it; with `portShared` (the workers of `workers: N`) the
 * port is shared through SO_REUSEPORT, which Node offers from 22.12. Rejects with one sentence
 * an operator can act on.
 */
export async function bindListener(server: Server, spec: ListenSpec, portShared: boolean, serverName: string): Promise<void> {
  const address = formatListenAddress(spec);
  if (portShared && !supportsReusePort()) {
    throw new Error(
      `cannot listen on ${address}: workers need to share the port, which the ${serverName} server can do ` +
        `only on Node 22.12 or later (SO_REUSEPORT); this is Node ${process.versions.node}. Use workers: 1, ` +
        'or the µWebSockets server (Node 20).',
    );
  }
  guardConnections(server, new ConnectionAdmission(spec.limits.maxConnections, spec.limits.maxConnectionsPerIp));
  server.listen({ host: spec.host, port: spec.port, ...(portShared ? { reusePort: true } : {}) });
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot listen on ${address}: ${code === 'EADDRINUSE' ? 'address already in use' : `cannot bind (${String(code ?? error)})`}`);
  }
}
