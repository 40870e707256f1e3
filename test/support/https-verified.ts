import type { X509Certificate } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';

/** GET /hello over a new TLS connection to 127.0.0.1:port, verified against `ca` for `servername`. */
export function httpsGet(port: number, servername: string, ca: string): Promise<{ status: number; body: string; cert: X509Certificate }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, servername, ca, path: '/hello', headers: { host: servername }, agent: false }, (res: IncomingMessage) => {
      const cert = (res.socket as TLSSocket).getPeerX509Certificate()!;
      let body = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, cert }));
    });
    req.on('error', reject);
    req.end();
  });
}
