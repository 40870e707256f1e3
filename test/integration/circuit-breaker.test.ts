import { IncomingMessage, request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { pollUntil, startSwitchableBackend, SwitchableBackend, waitForLog } from '../support/backends';
import { ClientResponse, send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

/**
 * One breaker walked through its states in order: closed → open → half-open → closed → open →
 * half-open → open (failed trial) → half-open with held trials → closed. The tests share the
 * route and run in sequence.
 */
describe('circuit breaker in a real prox process', () => {
  let prox: ProxProcess;
  let backend: SwitchableBackend;
  let url: string;

  beforeAll(async () => {
    backend = await startSwitchableBackend('b');
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/cb":
    type: proxy
    target: "BACKEND"
    circuit_breaker: { max_failures: 3, timeout_secs: 1, half_open_successes: 2 }
    passive: { enabled: false }
    retries: { attempts: 0 }
`.replace('BACKEND', backend.url));
    url = `${prox.baseUrl}/cb/x`;
  });

  afterAll(async () => {
    await prox?.stop();
    await backend.close();
  });

  function expectFastUnavailable(response: ClientResponse): void {
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toEqual({ error: 'service_unavailable', status: 503 });
    expect(response.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  }

  /** Polls until a request reaches the backend again (the open period ran out); returns its response. */
  async function untilTrialReachesBackend(): Promise<ClientResponse> {
    return pollUntil(
      async () => {
        const before = backend.count();
        const response = await send(url);
        if (backend.count() === before) {
          expectFastUnavailable(response);
          return null;
        }
        expect(backend.count()).toBe(before + 1);
        return response;
      },
      { attempts: 200, pauseMs: 25, what: 'a half-open trial reaches the backend' },
    );
  }

  it('opens after max_failures consecutive failures, then answers 503 without reaching the backend', async () => {
    backend.set('reset');
    const logsFrom = prox.logs.length;
    for (let i = 0; i < 3; i++) expect((await send(url)).status).toBe(502);
    // Each of the three failures reached the backend: the breaker was still closed for them.
    expect(backend.count()).toBe(3);
    const opened = await waitForLog(prox, 'circuit breaker open', () => true, logsFrom);
    expect(opened.route).toBe('/cb');
    expect(opened.backend).toBe(backend.url);

    backend.set('ok'); // would answer 200 if anything got through
    for (let i = 0; i < 5; i++) expectFastUnavailable(await send(url));
    expect(backend.count()).toBe(3);
  });

  it('lets trials through after timeout_secs and closes after half_open_successes successes', async () => {
    const logsFrom = prox.logs.length;
    const first = await untilTrialReachesBackend();
    expect(first.status).toBe(200);
    expect(first.body).toBe('b');
    // One success of the two needed: not closed yet.
    expect(prox.logs.slice(logsFrom).some((line) => line.msg === 'circuit breaker closed')).toBe(false);

    const second = await send(url);
    expect(second.status).toBe(200);
    const closed = await waitForLog(prox, 'circuit breaker closed', () => true, logsFrom);
    expect(closed.backend).toBe(backend.url);
    const hits = backend.count();
    for (let i = 0; i < 4; i++) expect((await send(url)).status).toBe(200);
    expect(backend.count()).toBe(hits + 4);
  });

  it('reopens on one failing trial', async () => {
    backend.set('reset');
    const logsFrom = prox.logs.length;
    for (let i = 0; i < 3; i++) expect((await send(url)).status).toBe(502);
    await waitForLog(prox, 'circuit breaker open', () => true, logsFrom);
    const reopenFrom = prox.logs.length;

    const trial = await untilTrialReachesBackend();
    expect(trial.status).toBe(502);
    await waitForLog(prox, 'circuit breaker open', () => true, reopenFrom);
    expect(prox.logs.slice(reopenFrom).filter((line) => line.msg === 'circuit breaker open')).toHaveLength(1);

    // Open again for another full timeout: nothing reaches the backend.
    backend.set('ok');
    const hits = backend.count();
    for (let i = 0; i < 3; i++) expectFastUnavailable(await send(url));
    expect(backend.count()).toBe(hits);
  });

  it('admits at most half_open_successes trials at once while half-open', async () => {
    // Open from the previous test; held trials let us see how many run concurrently.
    backend.set('hang');
    const logsFrom = prox.logs.length;
    const pending: Promise<ClientResponse>[] = [];
    await pollUntil(
      async () => {
        const before = backend.count();
        const response = startRequest(url);
        const outcome = await Promise.race([
          response.then(() => 'answered' as const),
          // A waiter left over from an answered poll resolves with the first trial later on.
          backend.waitFor(() => true, before + 1, 0, 5_000).then(
            () => 'reached' as const,
            () => 'timeout' as const,
          ),
        ]);
        if (outcome === 'timeout') throw new Error('neither an answer nor a request at the backend');
        if (outcome === 'reached') {
          pending.push(response);
          return true;
        }
        expectFastUnavailable(await response);
        return false;
      },
      { attempts: 200, pauseMs: 25, what: 'first held trial' },
    );
    // A second trial may run alongside the first.
    const secondFrom = backend.count();
    pending.push(startRequest(url));
    await backend.waitFor(() => true, 1, secondFrom);
    expect(backend.heldCount).toBe(2);

    // A third is refused at once while two trials are running.
    const hits = backend.count();
    const third = startRequest(url);
    const outcome = await Promise.race([
      third.then(() => 'answered' as const),
      backend.waitFor(() => true, 1, hits).then(
        () => 'reached' as const,
        () => 'timeout' as const,
      ),
    ]);
    if (outcome !== 'answered') pending.push(third); // released below with the trials
    expect(outcome).toBe('answered');
    expectFastUnavailable(await third);
    expect(backend.count()).toBe(hits);

    backend.releaseHeld();
    for (const response of await Promise.all(pending)) expect(response.status).toBe(200);
    await waitForLog(prox, 'circuit breaker closed', () => true, logsFrom);
    backend.set('ok');
    expect((await send(url)).status).toBe(200);
  });
});

/** Starts a GET whose response may take a while; the promise resolves with the whole response. */
function startRequest(url: string): Promise<ClientResponse> {
  const req = httpRequest(url, { agent: false });
  req.end();
  return once(req, 'response').then(async (args) => {
    const res = args[0] as IncomingMessage;
    const chunks: Buffer[] = [];
    for await (const chunk of res) chunks.push(chunk as Buffer);
    return { status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks).toString('utf8') };
  });
}
