import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { TestCertificate } from './certificates';

export interface HttpsBackend {
  readonly server: Server;
  readonly port: number;
  /** `https://127.0.0.1:port`. */
  readonly url: string;
  /** SNI name of each request's connection (`false` when the client sent none), in order. */
  readonly serverNames: (string | false | null)[];
  close(): Promise<void>;
}

/**
 * A real node:https backend on an ephemeral loopback port, serving `certificate`. Answers every
 * request with 200 and a JSON body naming the path and the SNI name it was reached with.
 */
export async function startHttpsBackend(certificate: TestCertificate): Promise<HttpsBackend> {
  const serverNames: (string | false | null)[] = [];
  const server = createServer({ cert: readFileSync(certificate.certPath), key: readFileSync(certificate.keyPath) }, (req, res) => {
    const servername = (req.socket as TLSSocket).servername;
    serverNames.push(servername);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: req.url, servername }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    serverNames,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
