import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http2';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa, type TestCa, type TestCertificate } from '../support/certificates';
import { startProx, type ProxProcess } from '../support/prox-process';
import { h2Request, h2Session } from '../support/tls-clients';

/**
 * Request bodies over HTTP/2 through the shared exchange base: flow control back to the client
 * when the upstream reads slowly, and `max_body_bytes` stopping one stream, not the session.
 */
describe('HTTP/2 request bodies', () => {
  const authority = 'main.test';
  let ca: TestCa;
  let caPem: Buffer;
  let cert: TestCertificate;

  beforeAll(() => {
    ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    cert = ca.issue('main', [authority]);
  });

  const config = (backend: TestBackend, extra: string[]): string =>
    [
      'listen_addr: "127.0.0.1:0"',
      `tls: { cert_path: "${cert.certPath}", key_path: "${cert.keyPath}" }`,
      'access_log: { enabled: false }',
      ...extra,
      'routes:',
      `  "/": { type: proxy, target: "${backend.url}" }`,
    ].join('\n');

  describe('a slow upstream', () => {
    const BODY_BYTES = 24 * 1024 * 1024;
    const STALL_MS = 1000;
    let backend: TestBackend;
    let prox: ProxProcess;
    let clientFinished = false;
    let finishedBeforeUpstreamRead: boolean | null = null;

    beforeAll(async () => {
      // Reads nothing for a while, then the whole body; answers with its length and digest.
      backend = await startBackend((req, res) => {
        req.pause();
        setTimeout(() => {
          finishedBeforeUpstreamRead = clientFinished;
          const hash = createHash('sha256');
          let length = 0;
          req.on('data', (chunk: Buffer) => {
            length += chunk.byteLength;
            hash.update(chunk);
          });
          req.on('end', () => res.end(JSON.stringify({ length, sha256: hash.digest('hex') })));
          req.resume();
        }, STALL_MS);
      });
      prox = await startProx(config(backend, []));
    });

    afterAll(async () => {
      await prox?.stop();
      await backend?.close();
    });

    it('pauses the client while the upstream does not read, then delivers the whole body', async () => {
      const payload = Buffer.alloc(BODY_BYTES);
      for (let i = 0; i < payload.length; i += 4096) payload.writeUInt32BE(i, i);
      const session = await h2Session(prox.port, authority, caPem);
      try {
        const stream = session.request({ ':method': 'POST', ':path': '/upload', 'content-type': 'application/octet-stream' });
        stream.on('finish', () => (clientFinished = true));
        stream.end(payload);
        const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
        let text = '';
        stream.setEncoding('utf8');
        stream.on('data', (chunk: string) => (text += chunk));
        await once(stream, 'end');
        expect(headers[':status']).toBe(200);
        expect(JSON.parse(text)).toEqual({ length: BODY_BYTES, sha256: createHash('sha256').update(payload).digest('hex') });
        // Flow control reached the client: it could not hand over the whole body while the
        // upstream read nothing (prox did not buffer it).
        expect(finishedBeforeUpstreamRead).toBe(false);
      } finally {
        session.close();
      }
    });
  });

  describe('max_body_bytes', () => {
    let backend: TestBackend;
    let prox: ProxProcess;

    beforeAll(async () => {
      backend = await startBackend((req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      });
      prox = await startProx(config(backend, ['limits: { max_body_bytes: 100000 }']));
    });

    afterAll(async () => {
      await prox?.stop();
      await backend?.close();
    });

    it('answers 413 to a body that grows over the limit and keeps the session serving', async () => {
      const session = await h2Session(prox.port, authority, caPem);
      try {
        // No content-length: the limit is found while the body streams.
        const tooLarge = await h2Request(session, { ':method': 'POST', ':path': '/big' }, 'x'.repeat(1_000_000));
        expect(tooLarge.status).toBe(413);
        const after = await h2Request(session, { ':path': '/after' });
        expect(after.status).toBe(200);
        expect(after.body).toBe('ok');
      } finally {
        session.close();
      }
    });
  });
});
