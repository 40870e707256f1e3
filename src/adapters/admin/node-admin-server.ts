import { createServer, Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { formatListenAddress } from '../../config/listen-address';
import type { AdminHandler, AdminServer } from '../../ports/admin-server';
import type { BoundListener } from '../../ports/http-server';

/** AdminServer on node:http: a handful of requests per scrape interval, no need for µWS. */
export class NodeAdminServer implements AdminServer {
  async listen(host: string, port: number, handler: AdminHandler): Promise<BoundListener> {
    const server: Server = createServer((req, res) => {
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const path = queryAt === -1 ? url : url.slice(0, queryAt);
      handler(req.method ?? 'GET', path, queryAt === -1 ? '' : url.slice(queryAt + 1), req.headers.authorization ?? null).then(
        (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.contentType, 'cache-control': 'no-store', ...(answer.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) });
          res.end(req.method === 'HEAD' ? undefined : answer.body);
        },
        (error: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: 'internal_error', detail: String(error) }));
        },
      );
    });
    server.keepAliveTimeout = 5_000;
    server.listen(port, host);
    try {
      await Promise.race([
        once(server, 'listening'),
        once(server, 'error').then(([error]) => {
          throw error;
        }),
      ]);
    } catch (error) {
      throw new Error(`cannot listen on ${formatListenAddress({ host, port })} for admin: ${(error as Error).message}`);
    }
    const bound = server.address() as AddressInfo;
    return {
      host,
      port: bound.port,
      protocol: 'http/1.1',
      stopAccepting: async () => {
        server.close();
        server.closeIdleConnections();
      },
    };
  }
}
