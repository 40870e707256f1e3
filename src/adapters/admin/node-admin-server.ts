import { createServer, IncomingMessage, Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { formatListenAddress } from '../../config/listen-address';
import type { AdminHandler, AdminRequestBody, AdminServer } from '../../ports/admin-server';
import type { BoundListener } from '../../ports/http-server';

/** AdminServer on node:http: a handful of requests per scrape interval, no need for µWS. */
export class NodeAdminServer implements AdminServer {
  async listen(host: string, port: number, handler: AdminHandler): Promise<BoundListener> {
    const server: Server = createServer((req, res) => {
      const url = req.url ?? '/';
      const queryAt = url.indexOf('?');
      const path = queryAt === -1 ? url : url.slice(0, queryAt);
      handler(req.method ?? 'GET', path, queryAt === -1 ? '' : url.slice(queryAt + 1), req.headers.authorization ?? null, requestBody(req)).then(
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

function requestBody(req: IncomingMessage): AdminRequestBody {
  return { contentType: req.headers['content-type'] ?? null, read: (maxBytes) => readAtMost(req, maxBytes) };
}

/**
 * The body as text, or null past `maxBytes`: a declared Content-Length over it is refused unread.
 * What is left of a refused body is read and dropped (node:http drains an unread request after
 * the answer; a flowing one without listeners drops its data) rather than cut off by closing: a
 * close with bytes unread would reset the connection, and the client could lose the 413.
 */
function readAtMost(req: IncomingMessage, maxBytes: number): Promise<string | null> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = 0;
    const onData = (chunk: Buffer): void => {
      received += chunk.byteLength;
      if (received <= maxBytes) chunks.push(chunk);
      else settle(() => resolve(null));
    };
    const onEnd = (): void => settle(() => resolve(Buffer.concat(chunks).toString('utf8')));
    const onGone = (): void => settle(() => reject(new Error('the client left before sending the whole body')));
    const settle = (finish: () => void): void => {
      req.off('data', onData).off('end', onEnd).off('error', onGone).off('close', onGone);
      finish();
    };
    req.on('data', onData).on('end', onEnd).on('error', onGone).on('close', onGone);
  });
}
