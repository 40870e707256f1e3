import { connect } from 'node:net';
import { once } from 'node:events';
import { startBackend, TestBackend } from '../support/backends';
import { ProxProcess, startProx } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

/**
 * What prox's own HTTP/1.1 server (`engine: llhttp`, the default) writes on the wire itself:
 * framing of streamed bodies per client version, the connection fields, 100-continue, and
 * pipelined requests answered in order while earlier answers are still pending.
 */

const HOST = 'Host: prox.test\r\n';
let backend: TestBackend;
let prox: ProxProcess;
/** Answers of /slow wait until the test releases them; `slowArrived` resolves when one waits. */
const slowAnswers: (() => void)[] = [];
let slowArrived: () => void = () => undefined;

beforeAll(async () => {
  backend = await startBackend((req, res) => {
    const url = req.url ?? '';
    if (url.startsWith('/api/stream')) {
      // No Content-Length: prox frames it for the client.
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      setImmediate(() => res.end('second'));
      return;
    }
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const answer = (): void => {
        res.end(`${req.method} ${url} ${body}`);
      };
      if (url.startsWith('/api/slow')) {
        slowAnswers.push(answer);
        slowArrived();
      } else answer();
    });
  });
  prox = await startProx(
    [
      'listen_addr: "127.0.0.1:0"',
      'engine: llhttp',
      'limits: { keepalive_timeout_secs: 7 }',
      'routes:',
      `  "/api": { type: proxy, target: "${backend.url}" }`,
      '',
    ].join('\n'),
    { PROX_HTTP_SERVER: '' },
  );
});

afterAll(async () => {
  await prox?.stop();
  await backend?.close();
});

function head(text: string): string {
  return text.slice(0, text.indexOf('\r\n\r\n')).toLowerCase();
}

it('runs the llhttp engine', () => {
  expect(prox.logs.find((line) => line.msg === 'inbound engine')).toMatchObject({ engine: 'llhttp', configured: 'llhttp' });
});

it('sends a body of unknown length chunked to an HTTP/1.1 client and keeps the connection, telling its idle timeout', async () => {
  const answer = await rawRequest(prox.port, `GET /api/stream HTTP/1.1\r\n${HOST}\r\n`, { untilText: /0\r\n\r\n$/ });
  const fields = head(answer.text);
  expect(fields).toContain('transfer-encoding: chunked');
  expect(fields).not.toContain('content-length');
  expect(fields).toContain('connection: keep-alive');
  expect(fields).toContain('keep-alive: timeout=7');
  expect(fields).toMatch(/\r\ndate: /);
  expect(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)).toBe('6\r\nfirst;\r\n6\r\nsecond\r\n0\r\n\r\n');
});

it('ends a body of unknown length by closing the connection for an HTTP/1.0 client', async () => {
  const answer = await rawRequest(prox.port, `GET /api/stream HTTP/1.0\r\n${HOST}Connection: keep-alive\r\n\r\n`);
  expect(answer.closedByServer).toBe(true);
  const fields = head(answer.text);
  expect(fields.startsWith('http/1.1 200 ok')).toBe(true);
  expect(fields).not.toContain('transfer-encoding');
  expect(fields).toContain('connection: close');
  expect(answer.text.endsWith('\r\n\r\nfirst;second')).toBe(true);
});

it('keeps an HTTP/1.0 connection that asks for keep-alive when the length is known', async () => {
  const answer = await rawRequest(prox.port, `POST /api/ten HTTP/1.0\r\n${HOST}Connection: keep-alive\r\nContent-Length: 2\r\n\r\nhi`, { untilText: /hi$/ });
  expect(answer.closedByServer).toBe(false);
  expect(head(answer.text)).toContain('connection: keep-alive');
  expect(answer.text.endsWith('POST /api/ten hi')).toBe(true);
});

it('answers Expect: 100-continue with 100 before the body is sent', async () => {
  const socket = connect(prox.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setEncoding('latin1');
  let text = '';
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(`PUT /api/continue HTTP/1.1\r\n${HOST}Expect: 100-continue\r\nContent-Length: 4\r\nConnection: close\r\n\r\n`);
  while (!text.includes('\r\n\r\n')) await once(socket, 'data');
  expect(text).toBe('HTTP/1.1 100 Continue\r\n\r\n');
  socket.write('body');
  await once(socket, 'close');
  expect(statusCodes(text)).toEqual([100, 200]);
  expect(text.endsWith('PUT /api/continue body')).toBe(true);
});

it('answers pipelined requests in order while the first answer is still pending, bodies included', async () => {
  const arrived = new Promise<void>((resolve) => (slowArrived = resolve));
  const socket = connect(prox.port, '127.0.0.1');
  await once(socket, 'connect');
  socket.setEncoding('latin1');
  let text = '';
  socket.on('data', (chunk: string) => (text += chunk));
  socket.write(
    `GET /api/slow-1 HTTP/1.1\r\n${HOST}\r\n` +
      `POST /api/second HTTP/1.1\r\n${HOST}Content-Length: 3\r\n\r\nabc` +
      `POST /api/third HTTP/1.1\r\n${HOST}Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nxy\r\n0\r\n\r\n` +
      `GET /api/never HTTP/1.1\r\n${HOST}\r\n`,
  );
  // The first request waits upstream; nothing behind it may be answered before it.
  await arrived;
  expect(text).toBe('');
  expect(backend.received.map((r) => r.url)).not.toContain('/api/second');
  slowAnswers.shift()!();
  await once(socket, 'close');
  expect(statusCodes(text)).toEqual([200, 200, 200]);
  const bodies = text.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((part) => part.slice(part.indexOf('\r\n\r\n') + 4));
  expect(bodies).toEqual(['GET /api/slow-1 ', 'POST /api/second abc', 'POST /api/third xy']);
  // Only the last answer, the one the client asked to close with, says close.
  expect(text.match(/connection: close/gi)).toHaveLength(1);
  expect(backend.received.map((r) => r.url)).not.toContain('/api/never');
});
