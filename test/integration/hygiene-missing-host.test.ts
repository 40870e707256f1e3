import { startBackend, TestBackend } from '../support/backends';
import { ProxProcess, startProx } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';
import { availableEngines } from '../support/engines';

/**
 * A request without a Host header. llhttp (the default engine) and node:http answer it 400 and closes. On
 * µWebSockets it never reaches prox: the build does not call the request handler for it, so prox
 * cannot answer; uWS holds such a connection until its own idle timeout (about 10 s) and then
 * closes it without a response (docs/http-semantics.md). On either engine the connection is
 * closed by the server and nothing (neither the request nor one pipelined after it) reaches the
 * backend. The µWebSockets case runs only where its native binary loads (Node 20).
 *
 * Kept apart from request-hygiene.test.ts so the idle wait runs in parallel with that suite.
 */

/** Safety net only: uWS closes after its ~10 s idle timeout, well inside this. */
const IDLE_SAFETY_NET_MS = 30_000;

describe.each(availableEngines())('on the %s engine', (engine) => {
  let prox: ProxProcess;
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend();
    prox = await startProx(
      `
listen_addr: "127.0.0.1:0"
routes:
  "/api":
    type: proxy
    target: "${backend.url}"
`,
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('closes a request without Host, answered 400 on llhttp and node:http and unanswered on µWebSockets, and forwards nothing, even with a request pipelined after it', async () => {
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
      expect(statusCodes(answer.text)).toEqual(engine === 'uws' ? [] : [400]);
    }

    // Barrier: a later request is served, so anything dispatched earlier has arrived.
    const sentinel = await rawRequest(prox.port, 'GET /api/sentinel HTTP/1.1\r\nHost: prox.test\r\nConnection: close\r\n\r\n');
    expect(statusCodes(sentinel.text)).toEqual([200]);
    expect(backend.received.map((r) => r.url)).toEqual(['/api/sentinel']);
  }, 60_000);
});
