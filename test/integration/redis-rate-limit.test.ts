import { startBackend, TestBackend, pollUntil } from '../support/backends';
import { ClientResponse, headerValues, send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';
import { RedisServer } from '../support/redis-server';

/**
 * Two prox instances with two workers each share one rate limit through a real redis-server.
 * The period is an hour, so the little real time the test takes refills nothing.
 */

const CLIENT_HEADER = 'x-client';
const QUOTA = 10;

function configFor(redisUrl: string, backendUrl: string, onError: 'allow' | 'deny'): string {
  return [
    'listen_addr: "127.0.0.1:0"',
    'workers: 2',
    'access_log: { enabled: false }',
    'rate_limit_store:',
    '  type: redis',
    `  url: "${redisUrl}"`,
    '  timeout_ms: 200',
    `  on_error: ${onError}`,
    'routes:',
    `  "/": { type: proxy, target: "${backendUrl}", rate_limit: { by: header, header_name: X-Client, requests: ${QUOTA}, period: 1h } }`,
    '',
  ].join('\n');
}

/** A fresh connection each time, so the kernel spreads the requests over both workers. */
function request(prox: ProxProcess, client: string): Promise<ClientResponse> {
  return send(`${prox.baseUrl}/`, { headers: { [CLIENT_HEADER]: client, connection: 'close' } });
}

function remaining(response: ClientResponse): number {
  const field = headerValues(response.rawHeaders, 'ratelimit')[0] ?? '';
  const match = /;r=(\d+);/.exec(field);
  if (match === null) throw new Error(`no RateLimit field in ${JSON.stringify(response.rawHeaders)}`);
  return Number(match[1]);
}

async function readiness(prox: ProxProcess): Promise<{ status: number; body: { ready: boolean; problems: string[]; details: string[] } }> {
  const response = await fetch(`${prox.adminUrl}/readyz`);
  const body = (await response.json()) as { ready: boolean; problems: string[]; details: string[] };
  // A worker that is not running (it crashed) is a failure of its own, not a store outage to
  // wait for: say so with what prox logged. One that did not answer in time is asked again.
  const missing = body.problems.filter((problem) => problem.endsWith(': not running'));
  if (missing.length > 0) {
    const warnings = prox.logs.filter((line) => line.level === 'warn' || line.level === 'error');
    throw new Error(`${missing.join(', ')}; prox logged:\n${warnings.map((line) => JSON.stringify(line)).join('\n')}`);
  }
  return { status: response.status, body };
}

async function metricsText(prox: ProxProcess): Promise<string> {
  return (await fetch(`${prox.adminUrl}/metrics`)).text();
}

function sampleOf(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('rate_limit_store: redis (two prox instances × workers: 2, a real redis-server)', () => {
  let redis: RedisServer;
  let backend: TestBackend;
  let failOpen: ProxProcess;
  let failClosed: ProxProcess;

  beforeAll(async () => {
    redis = await RedisServer.start();
    backend = await startBackend((_req, res) => res.end('ok'));
    [failOpen, failClosed] = await Promise.all([
      startProx(configFor(redis.url, backend.url, 'allow')),
      startProx(configFor(redis.url, backend.url, 'deny')),
    ]);
  });

  afterAll(async () => {
    await Promise.all([failOpen?.stop(), failClosed?.stop()]);
    await backend?.close();
    await redis?.stop();
  });

  /** `count` requests of `client`, alternating between the two instances. */
  async function alternate(client: string, count: number): Promise<ClientResponse[]> {
    const responses: ClientResponse[] = [];
    for (let i = 0; i < count; i++) responses.push(await request(i % 2 === 0 ? failOpen : failClosed, client));
    return responses;
  }

  it('four processes share one budget exactly: the RateLimit field counts down across all of them', async () => {
    const responses = await alternate('shared-budget', QUOTA * 3);
    const allowed = responses.filter((r) => r.status === 200);
    expect(allowed).toHaveLength(QUOTA);
    expect(responses.slice(0, QUOTA).map((r) => r.status)).toEqual(new Array(QUOTA).fill(200));
    expect(allowed.map(remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(responses.slice(QUOTA).every((r) => r.status === 429 && headerValues(r.rawHeaders, 'retry-after').length === 1)).toBe(true);
    const metrics = await metricsText(failOpen);
    expect(sampleOf(metrics, 'prox_rate_limit_store_duration_seconds_count')).toBeGreaterThanOrEqual(QUOTA * 1.5);
    expect(sampleOf(metrics, 'prox_rate_limit_store_errors_total{reason="unavailable"}')).toBe(0);
    expect((await readiness(failOpen)).body.details).toEqual([]);
  });

  it('Redis killed mid-run: on_error allow serves, deny refuses and reports not ready; nothing crashes; limits resume when Redis returns', async () => {
    const before = await alternate('outage', QUOTA);
    expect(before.map((r) => r.status)).toEqual(new Array(QUOTA).fill(200));

    await redis.kill();
    // Every worker notices the closed connection on its own; /readyz shows it.
    const openView = await pollUntil(async () => {
      const view = await readiness(failOpen);
      return view.body.details.length === 2 ? view : null;
    }, { what: 'both workers of the on_error: allow instance report the store down' });
    expect(openView.status).toBe(200);
    expect(openView.body.ready).toBe(true);
    expect(openView.body.details[0]).toContain('on_error: allow');
    const closedView = await pollUntil(async () => {
      const view = await readiness(failClosed);
      return view.body.problems.filter((problem) => problem.includes('on_error: deny')).length === 2 ? view : null;
    }, { what: 'both workers of the on_error: deny instance report the store down' });
    expect(closedView.status).toBe(503);
    expect(closedView.body.problems[0]).toContain('on_error: deny');

    // The client's budget is spent, but the store cannot say so: allow serves, deny refuses.
    for (let i = 0; i < 6; i++) {
      expect((await request(failOpen, 'outage')).status).toBe(200);
      const refused = await request(failClosed, 'outage');
      expect(refused.status).toBe(429);
      expect(headerValues(refused.rawHeaders, 'retry-after')).toEqual(['1']);
    }
    const errors = await metricsText(failOpen);
    expect(
      sampleOf(errors, 'prox_rate_limit_store_errors_total{reason="unavailable"}') + sampleOf(errors, 'prox_rate_limit_store_errors_total{reason="skipped"}'),
    ).toBe(6);

    await redis.resume();
    for (const prox of [failOpen, failClosed]) {
      await pollUntil(async () => {
        const view = await readiness(prox);
        return view.status === 200 && view.body.details.length === 0;
      }, { what: 'the store is back for every worker' });
    }
    // Redis came back empty (no persistence): a new client gets exactly one shared budget again.
    const after = await alternate('after-outage', QUOTA + 5);
    expect(after.map((r) => r.status)).toEqual([...new Array(QUOTA).fill(200), ...new Array(5).fill(429)]);

    for (const prox of [failOpen, failClosed]) {
      expect(prox.child.exitCode).toBeNull();
      const workers = (await (await fetch(`${prox.adminUrl}/workers`)).json()) as { restarts: number };
      expect(workers.restarts).toBe(0);
    }
  });
});
