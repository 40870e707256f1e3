import { startBackend, TestBackend } from '../support/backends';
import { ProxProcess, startProx } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

/**
 * A request without a Host header never reaches prox: the µWebSockets build does not call the
 * request handler for it, so prox cannot answer 400. uWS holds such a connection until its own
 * idle timeout (about 10 s) and then closes it without a response. What the suite can prove is
 * that the connection is closed by the server, nothing is answered, and nothing (neither the
 * request nor one pipelined after it) reaches the backend.
 *
 * Kept apart from request-hygiene.test.ts so the idle wait runs in parallel with that suite.
 */

let prox: ProxProcess;
let backend: TestBackend;

beforeAll(async () => {
  backend = await startBackend();
  prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/api":
    type: proxy
    target: "${backend.url}"
`);
});

afterAll(async () => {
  await prox?.stop();
  await backend?.close();
});

/** Safety net only: uWS closes after its ~10 s idle timeout, well inside this. */
const IDLE_SAFETY_NET_MS = 30_000;

it('closes a request without Host unanswered and forwards nothing, even with a request pipelined after it', async () => {
  // Run together so the idle timeout is waited for once.
  const [alone, pipelined, withBody] = await Promise.all([
    rawRequest(prox.port, 'GET /api/no-host HTTP/1.1\r\n\r\n', { timeoutMs: IDLE_SAFETY_NET_MS }),
    rawRequest(prox.port, 'GET /api/no-host-2 HTTP/1.1\r\n\r\nGET /api/smuggled-no-host HTTP/1.1\r\nHost: prox.test\r\n\r\n', {
      timeoutMs: IDLE_SAFETY_NET_MS,
    }),
    rawRequest(prox.port, 'POST /api/no-host-3 HTTP/1.1\r\nContent-Length: 5\r\n\r\nhello', { timeoutMs: IDLE_SAFETY_NET_MS }),
  ]);
  for (const answer of [alone, pipelined, withBody]) {
    expect(answer.closedByServer).toBe(true);
    expect(statusCodes(answer.text)).toEqual([]);
  }

  // Barrier: a later request is served, so anything dispatched earlier has arrived.
  const sentinel = await rawRequest(prox.port, 'GET /api/sentinel HTTP/1.1\r\nHost: prox.test\r\nConnection: close\r\n\r\n');
  expect(statusCodes(sentinel.text)).toEqual([200]);
  expect(backend.received.map((r) => r.url)).toEqual(['/api/sentinel']);
}, 60_000);
