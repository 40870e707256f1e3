import { once } from 'node:events';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { startBackend } from '../support/backends';
import { peakRssBytes, startProx } from '../support/prox-process';

const GIB = 1024 * 1024 * 1024;
const PIECE = Buffer.alloc(256 * 1024, 'x');
/** prox must stream, not buffer: its peak RSS stays far below the 1 GiB that passes through. */
const RSS_CEILING_BYTES = 300 * 1024 * 1024;

describe('1 GiB transfers stream through with flat memory', () => {
  it('downloads 1 GiB', async () => {
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': String(GIB) });
      let sent = 0;
      const pump = (): void => {
        while (sent < GIB) {
          sent += PIECE.length;
          if (!res.write(PIECE)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const prox = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`);
    try {
      const req = httpRequest(`${prox.baseUrl}/big`, { agent: false });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      let received = 0;
      for await (const chunk of res) received += (chunk as Buffer).length;
      expect(received).toBe(GIB);
      expect(peakRssBytes(prox.child.pid!)).toBeLessThan(RSS_CEILING_BYTES);
    } finally {
      await prox.stop();
      await backend.close();
    }
  });

  // Chunked: the µWebSockets build drops requests declaring a Content-Length of 2^30 or more.
  it('uploads 1 GiB (chunked)', async () => {
    const backend = await startBackend((req, res) => {
      let received = 0;
      req.on('data', (chunk: Buffer) => (received += chunk.length));
      req.on('end', () => res.end(String(received)));
    });
    const prox = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`);
    try {
      const req = httpRequest(`${prox.baseUrl}/upload`, {
        method: 'POST',
        agent: false,
      });
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      let sent = 0;
      while (sent < GIB) {
        sent += PIECE.length;
        if (!req.write(PIECE)) await once(req, 'drain');
      }
      req.end();
      const [res] = await response;
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect(Number(body)).toBe(GIB);
      expect(peakRssBytes(prox.child.pid!)).toBeLessThan(RSS_CEILING_BYTES);
    } finally {
      await prox.stop();
      await backend.close();
    }
  });
});

describe('a slow client', () => {
  it('makes prox stop reading the upstream, then gets every byte in order', async () => {
    const total = 64 * 1024 * 1024;
    /** Byte i of the body is i mod 251, so a lost, repeated or reordered chunk shows. */
    const pattern = (offset: number, length: number): Buffer => {
      const chunk = Buffer.allocUnsafe(length);
      for (let i = 0; i < length; i++) chunk[i] = (offset + i) % 251;
      return chunk;
    };
    let backendBlockedAt = -1;
    let signalBlocked!: () => void;
    const blocked = new Promise<void>((resolve) => (signalBlocked = resolve));
    const backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-length': String(total) });
      let sent = 0;
      const pump = (): void => {
        while (sent < total) {
          const length = Math.min(64 * 1024, total - sent);
          const ok = res.write(pattern(sent, length));
          sent += length;
          if (!ok) {
            if (backendBlockedAt < 0) {
              backendBlockedAt = sent;
              signalBlocked();
            }
            return void res.once('drain', pump);
          }
        }
        res.end();
      };
      pump();
    });
    const prox = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "${backend.url}" }\n`);
    try {
      const req = httpRequest(`${prox.baseUrl}/slow`, { agent: false });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      res.pause();
      // The client reads nothing: the backend must be held back long before the end.
      await blocked;
      expect(backendBlockedAt).toBeLessThan(total);
      let received = 0;
      let intact = true;
      for await (const chunk of res) {
        const bytes = chunk as Buffer;
        if (intact && !bytes.equals(pattern(received, bytes.length))) intact = false;
        received += bytes.length;
      }
      expect({ received, intact }).toEqual({ received: total, intact: true });
    } finally {
      await prox.stop();
      await backend.close();
    }
  });
});
