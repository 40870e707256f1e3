import { createServer, Server } from 'node:http';

/**
 * Tiny backends for the quick start: each answers with its name, the method and the path it
 * received, and the forwarding headers, so a user can see what prox sent.
 */
export function startDemoBackend(name: string, port: number, host = '127.0.0.1'): Promise<Server> {
  const server = createServer((req, res) => {
    const body = JSON.stringify(
      {
        backend: name,
        method: req.method,
        path: req.url,
        host: req.headers.host,
        forwardedFor: req.headers['x-forwarded-for'] ?? null,
      },
      null,
      2,
    );
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body + '\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
