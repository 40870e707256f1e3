import { readFileSync } from 'node:fs';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa, type TestCa } from '../support/certificates';
import { startProx, type ProxProcess } from '../support/prox-process';
import { ERROR, FLAG, FRAME, frame, headerBlock, RawH2Client, requestFields, rstStream } from '../support/raw-h2';
import { curl } from '../support/tls-clients';
import { execFile } from 'node:child_process';

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(command, args, { encoding: 'utf8', timeout: 60_000 }, (_error, stdout, stderr) => resolve({ stdout, stderr })));
}

/**
 * HTTP/2 attacks sent as raw frames over TLS: rapid reset (CVE-2023-44487), CONTINUATION flood
 * (CVE-2024-27983 class), control characters in field values, too many concurrent streams.
 * Each ends with a normal request proving the process still serves.
 */
describe('HTTP/2 hygiene against raw frames', () => {
  let ca: TestCa;
  let caPem: Buffer;
  let backend: TestBackend;
  let prox: ProxProcess;
  const authority = 'main.test';

  beforeAll(async () => {
    ca = makeTestCa();
    caPem = readFileSync(ca.certPath);
    const cert = ca.issue('main', [authority]);
    // The backend answers slowly enough that streams are still open when the client resets them.
    backend = await startBackend((req, res) => {
      req.resume();
      req.on('end', () => setImmediate(() => res.end('ok')));
    });
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        `tls: { cert_path: "${cert.certPath}", key_path: "${cert.keyPath}" }`,
        'protocols: { http2_max_concurrent_streams: 10 }',
        'access_log: { enabled: false }',
        'routes:',
        `  "/": { type: proxy, target: "${backend.url}" }`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  const stillServes = async (): Promise<void> => {
    const result = await curl(['--http2', '--resolve', `${authority}:${prox.port}:127.0.0.1`, '--cacert', ca.certPath, '-o', '/dev/null', '-w', '%{http_code}', `https://${authority}:${prox.port}/after`]);
    expect(result.stdout).toBe('200');
  };

  const headers = (streamId: number, extra: Parameters<typeof requestFields>[2] = [], flags: number = FLAG.END_STREAM | FLAG.END_HEADERS): Buffer =>
    frame(FRAME.HEADERS, flags, streamId, headerBlock(requestFields(authority, `/s${streamId}`, extra)));

  it('announces the configured concurrent stream limit; a client that ignores it loses the connection', async () => {
    const client = await RawH2Client.connect(prox.port, { ca: caPem, servername: authority });
    const before = backend.received.length;
    expect(client.settings().get(0x3 /* MAX_CONCURRENT_STREAMS */)).toBe(10);
    const burst: Buffer[] = [];
    for (let i = 0; i < 40; i++) burst.push(headers(1 + 2 * i));
    client.write(Buffer.concat(burst));
    await client.next(() => false); // until the server closes the connection
    expect(client.closed).toBe(true);
    // nghttp2 counts the 11th open stream as a protocol error and ends the session.
    expect(backend.received.length - before).toBeLessThanOrEqual(10);
    await stillServes();
  });

  it('serves concurrent streams within the limit (h2load: 4 connections x 10 streams)', async () => {
    // Streams a client opens before it has read the server's SETTINGS past the limit are
    // refused (REFUSED_STREAM, retryable): h2load counts them as errors, so it stays at 10.
    const result = await run('h2load', ['-n', '400', '-c', '4', '-m', '10', '--connect-to', `127.0.0.1:${prox.port}`, `https://${authority}:${prox.port}/load`]);
    expect(result.stdout).toMatch(/requests: 400 total, 400 started, 400 done, 400 succeeded, 0 failed, 0 errored/);
    expect(result.stdout).toMatch(/status codes: 400 2xx/);
  });

  it('closes a session that resets streams in bulk (rapid reset, CVE-2023-44487)', async () => {
    const client = await RawH2Client.connect(prox.port, { ca: caPem, servername: authority });
    const before = backend.received.length;
    const attack: Buffer[] = [];
    const pairs = 2000;
    for (let i = 0; i < pairs; i++) {
      const id = 1 + 2 * i;
      attack.push(headers(id), rstStream(id, ERROR.CANCEL));
    }
    client.write(Buffer.concat(attack));
    const goaway = await client.goaway();
    await client.next(() => false); // until the server closes the connection
    expect(client.closed).toBe(true);
    expect(goaway).not.toBeNull();
    expect([ERROR.ENHANCE_YOUR_CALM, ERROR.PROTOCOL_ERROR, ERROR.INTERNAL_ERROR]).toContain(goaway!.code);
    // Far from every reset stream became an upstream request.
    expect(backend.received.length - before).toBeLessThan(pairs / 2);
    await stillServes();
  });

  it('ends a CONTINUATION flood (a header block that never ends)', async () => {
    const client = await RawH2Client.connect(prox.port, { ca: caPem, servername: authority });
    // HEADERS without END_HEADERS, then CONTINUATION frames that never set it.
    client.write(frame(FRAME.HEADERS, FLAG.END_STREAM, 1, headerBlock(requestFields(authority, '/flood'))));
    const filler = frame(FRAME.CONTINUATION, 0, 1, headerBlock([['x-filler', 'z'.repeat(100)]]));
    let sent = 0;
    while (!client.closed && sent < 20_000) {
      const more = client.write(Buffer.concat(Array.from({ length: 100 }, () => filler)));
      sent += 100;
      if (!more) await new Promise<void>((resolve) => (client.closed ? resolve() : client.socket.once('drain', resolve).once('close', resolve)));
    }
    await client.next(() => false);
    expect(client.closed).toBe(true);
    expect(sent).toBeLessThan(20_000);
    await stillServes();
  });

  it.each([
    ['CR LF', 'a\r\nx-injected: 1'],
    ['NUL', 'a\u0000b'],
    ['lone LF', 'a\nb'],
    ['lone CR', 'a\rb'],
  ])('never forwards a field value with %s (node drops the field before prox sees it)', async (_label, value) => {
    const client = await RawH2Client.connect(prox.port, { ca: caPem, servername: authority });
    const before = backend.received.length;
    try {
      client.write(headers(1, [['x-evil', Buffer.from(value, 'latin1')], ['x-marker', 'kept']]));
      const answer = await client.next((f) => f.streamId === 1 && (f.type === FRAME.RST_STREAM || f.type === FRAME.HEADERS));
      expect(answer).not.toBeNull();
      const forwarded = backend.received.slice(before);
      if (answer!.type === FRAME.HEADERS && answer!.payload[0] === 0x88 /* :status 200 */) {
        // Served without the field: node's http2 (nghttp2) dropped it, the rest went through.
        expect(forwarded).toHaveLength(1);
        expect(forwarded[0]!.headers['x-marker']).toBe('kept');
        expect(forwarded[0]!.headers['x-evil']).toBeUndefined();
        expect(forwarded[0]!.headers['x-injected']).toBeUndefined();
      } else {
        // Refused: a stream reset, or prox's own 400 (:status 400 is static table index 12).
        expect(answer!.type === FRAME.RST_STREAM || answer!.payload[0] === 0x8c).toBe(true);
        expect(forwarded).toHaveLength(0);
      }
    } finally {
      client.close();
    }
    await stillServes();
  });
});
