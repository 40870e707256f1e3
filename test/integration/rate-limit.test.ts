import { writeFileSync } from 'node:fs';
import { Agent, request } from 'undici';
import { startBackend, TestBackend, waitForLog } from '../support/backends';
import { ClientResponse, headerValues, json, send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

/**
 * Rate limiting against a real prox and a real backend. Time passes through the test-only
 * OffsetClock (PROX_TEST_CLOCK=offset, POST /debug/clock on the admin listener), never by
 * sleeping; every period is an hour so the little real time a test takes never matters.
 */

const TEST_CLOCK = { PROX_TEST_CLOCK: 'offset' };
const HOUR_MS = 3_600_000;

async function advance(prox: ProxProcess, ms: number): Promise<{ offset_ms: number; now_ms: number }> {
  const response = await fetch(`${prox.adminUrl}/debug/clock?advance_ms=${ms}`, { method: 'POST' });
  expect(response.status).toBe(200);
  return (await response.json()) as { offset_ms: number; now_ms: number };
}

/** Moves prox's clock to 1 s into the next aligned window of `periodMs`. */
async function startOfNextWindow(prox: ProxProcess, periodMs: number): Promise<void> {
  const { now_ms } = await advance(prox, 0);
  await advance(prox, periodMs - (now_ms % periodMs) + 1000);
}

function get(prox: ProxProcess, path: string, headers: Record<string, string> = {}): Promise<ClientResponse> {
  return send(`${prox.baseUrl}${path}`, { headers });
}

function statuses(responses: ClientResponse[]): number[] {
  return responses.map((r) => r.status);
}

async function sequence(prox: ProxProcess, path: string, n: number, headers: Record<string, string> = {}): Promise<ClientResponse[]> {
  const out: ClientResponse[] = [];
  for (let i = 0; i < n; i++) out.push(await get(prox, path, headers));
  return out;
}

function retryAfter(response: ClientResponse): number {
  const value = headerValues(response.rawHeaders, 'retry-after');
  expect(value).toHaveLength(1);
  return Number(value[0]);
}

/** The `r` of prox's RateLimit field. */
function remaining(response: ClientResponse): number {
  const field = headerValues(response.rawHeaders, 'ratelimit').find((v) => v.startsWith('"default"'));
  const match = /;r=(\d+);t=(\d+)$/.exec(field ?? '');
  if (match === null) throw new Error(`no RateLimit field in ${JSON.stringify(response.rawHeaders)}`);
  return Number(match[1]);
}

async function metric(prox: ProxProcess, name: string, route: string): Promise<number> {
  const text = await (await fetch(`${prox.adminUrl}/metrics`)).text();
  const escaped = route.replace(/[/]/g, '\\/');
  const match = new RegExp(`^${name}\\{route="${escaped}"\\} (\\S+)$`, 'm').exec(text);
  if (match === null) throw new Error(`no ${name}{route="${route}"} series`);
  return Number(match[1]);
}

function limited(path: string, backend: TestBackend, rateLimit: string, type = 'proxy'): string {
  const target = type === 'redirect' ? '"https://example.org/moved"' : `"${backend.url}"`;
  return `  "${path}":\n    type: ${type}\n    target: ${target}\n    rate_limit: ${rateLimit}\n`;
}

describe('rate limiting (real prox, test clock)', () => {
  let backend: TestBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
    const header = '{by: header, header_name: X-Client, period: 1h';
    prox = await startProx(
      'listen_addr: "127.0.0.1:0"\nroutes:\n' +
        limited('/tb', backend, `${header}, requests: 3, algorithm: token_bucket}`) +
        limited('/fw', backend, `${header}, requests: 3, algorithm: fixed_window}`) +
        limited('/sw', backend, `${header}, requests: 4, algorithm: sliding_window}`) +
        limited('/custom', backend, '{by: ip, requests: 1, period: 1h, status_code: 403, message: "Slow down, please."}') +
        limited('/moved', backend, `${header}, requests: 1}`, 'redirect') +
        limited('/keyed-allow', backend, '{by: header, header_name: X-API-Key, requests: 1, period: 1h, on_missing_key: allow}') +
        limited('/keyed-deny', backend, '{by: header, header_name: X-API-Key, requests: 1, period: 1h, on_missing_key: deny}') +
        limited('/shadow', backend, `${header}, requests: 1, mode: shadow}`) +
        limited('/ip', backend, '{by: ip, requests: 2, period: 1h}') +
        limited('/many', backend, `${header}, requests: 1, max_keys: 100}`),
      TEST_CLOCK,
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('token_bucket: burst of `requests`, then one more per period/requests; not before', async () => {
    const client = { 'x-client': 'tb-1' };
    const first = await sequence(prox, '/tb', 4, client);
    expect(statuses(first)).toEqual([200, 200, 200, 429]);
    expect(first.slice(0, 3).map(remaining)).toEqual([2, 1, 0]);
    // One token every 3600 s / 3 = 1200 s.
    expect(retryAfter(first[3])).toBe(1200);
    await advance(prox, 1198_000);
    expect((await get(prox, '/tb', client)).status).toBe(429);
    await advance(prox, 2000);
    // Exactly one token back, not a whole new quota.
    expect(statuses(await sequence(prox, '/tb', 2, client))).toEqual([200, 429]);
  });

  it('fixed_window: `requests` per aligned window, a whole new quota when the window ends; not before', async () => {
    await startOfNextWindow(prox, HOUR_MS);
    const client = { 'x-client': 'fw-1' };
    const before = await metric(prox, 'prox_rate_limit_hits_total', '/fw');
    const first = await sequence(prox, '/fw', 4, client);
    expect(statuses(first)).toEqual([200, 200, 200, 429]);
    expect(first.slice(0, 3).map(remaining)).toEqual([2, 1, 0]);
    const wait = retryAfter(first[3]);
    // The window (1 h, aligned) began 1 s before the first request.
    expect(wait).toBeLessThanOrEqual(3599);
    expect(wait).toBeGreaterThan(3500);
    await advance(prox, (wait - 2) * 1000);
    expect((await get(prox, '/fw', client)).status).toBe(429);
    await advance(prox, 2000);
    expect(statuses(await sequence(prox, '/fw', 4, client))).toEqual([200, 200, 200, 429]);
    // Three refusals counted.
    expect(await metric(prox, 'prox_rate_limit_hits_total', '/fw')).toBe(before + 3);
  });

  it('sliding_window: the previous window still weighs in after the boundary; not before', async () => {
    await startOfNextWindow(prox, HOUR_MS);
    const client = { 'x-client': 'sw-1' };
    const first = await sequence(prox, '/sw', 5, client);
    expect(statuses(first)).toEqual([200, 200, 200, 200, 429]);
    // Room for one more once the 4 of this window weigh 3: a quarter into the next window,
    // i.e. (3600 - 1) s + 900 s from the first request, rounded up.
    const wait = retryAfter(first[4]);
    expect(wait).toBeGreaterThan(4400);
    expect(wait).toBeLessThanOrEqual(4499);
    await advance(prox, (wait - 2) * 1000);
    expect((await get(prox, '/sw', client)).status).toBe(429);
    await advance(prox, 2000);
    // A fixed window would allow 4 here; the sliding estimate leaves room for exactly one.
    expect(statuses(await sequence(prox, '/sw', 2, client))).toEqual([200, 429]);
  });

  it('sends RateLimit-Policy and RateLimit on allowed and refused proxied answers, Retry-After on refusals', async () => {
    const client = { 'x-client': 'headers-1' };
    const [allowed, , , refused] = await sequence(prox, '/tb', 4, client);
    expect(allowed.body).toBe('ok');
    expect(headerValues(allowed.rawHeaders, 'ratelimit-policy')).toEqual(['"default";q=3;w=3600']);
    expect(headerValues(allowed.rawHeaders, 'ratelimit')).toEqual([expect.stringMatching(/^"default";r=2;t=\d+$/)]);
    expect(headerValues(allowed.rawHeaders, 'retry-after')).toEqual([]);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('application/json');
    expect(json(refused)).toEqual({ error: 'rate_limited', status: 429 });
    expect(headerValues(refused.rawHeaders, 'ratelimit-policy')).toEqual(['"default";q=3;w=3600']);
    expect(headerValues(refused.rawHeaders, 'ratelimit')).toEqual([expect.stringMatching(/^"default";r=0;t=\d+$/)]);
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(1);
    expect(headerValues(refused.rawHeaders, 'x-request-id')).toHaveLength(1);
  });

  it('sends the headers on a redirect route, and limits it', async () => {
    const client = { 'x-client': 'redirect-1' };
    const [moved, refused] = await sequence(prox, '/moved', 2, client);
    expect(moved.status).toBe(307);
    expect(moved.headers.location).toBe('https://example.org/moved');
    expect(headerValues(moved.rawHeaders, 'ratelimit-policy')).toEqual(['"default";q=1;w=3600']);
    expect(headerValues(moved.rawHeaders, 'ratelimit')).toEqual([expect.stringMatching(/^"default";r=0;t=\d+$/)]);
    expect(refused.status).toBe(429);
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(1);
  });

  it('honours a configured status_code and message (sent as text/plain)', async () => {
    const [allowed, refused] = await sequence(prox, '/custom', 2);
    expect(allowed.status).toBe(200);
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(refused.body).toBe('Slow down, please.');
    expect(retryAfter(refused)).toBeGreaterThanOrEqual(1);
  });

  it('by header, on_missing_key allow: requests without the header pass unlimited', async () => {
    expect(statuses(await sequence(prox, '/keyed-allow', 3))).toEqual([200, 200, 200]);
    expect(statuses(await sequence(prox, '/keyed-allow', 2, { 'x-api-key': 'allow-1' }))).toEqual([200, 429]);
    // Header names are case-insensitive on the wire.
    expect((await get(prox, '/keyed-allow', { 'X-API-KEY': 'allow-1' })).status).toBe(429);
  });

  it('by header, on_missing_key deny: requests without the header are refused', async () => {
    const refused = await get(prox, '/keyed-deny');
    expect(refused.status).toBe(429);
    expect(json(refused)).toEqual({ error: 'rate_limited', status: 429 });
    expect(headerValues(refused.rawHeaders, 'retry-after')).toEqual([]);
    expect(statuses(await sequence(prox, '/keyed-deny', 2, { 'x-api-key': 'deny-1' }))).toEqual([200, 429]);
  });

  it('by ip: X-Forwarded-For from an untrusted peer does not give a fresh key', async () => {
    const forged = ['198.51.100.1', '198.51.100.2', '198.51.100.3'];
    const responses = [];
    for (const address of forged) responses.push(await get(prox, '/ip', { 'x-forwarded-for': address }));
    expect(statuses(responses)).toEqual([200, 200, 429]);
  });

  it('shadow mode serves everything, counts and logs what it would refuse, and sends the headers', async () => {
    const client = { 'x-client': 'shadow-1' };
    const hitsBefore = await metric(prox, 'prox_rate_limit_hits_total', '/shadow');
    const shadowBefore = await metric(prox, 'prox_rate_limit_shadow_hits_total', '/shadow');
    const from = prox.logs.length;
    const responses = await sequence(prox, '/shadow', 3, client);
    expect(statuses(responses)).toEqual([200, 200, 200]);
    expect(responses.map(remaining)).toEqual([0, 0, 0]);
    expect(headerValues(responses[2].rawHeaders, 'retry-after')).toEqual([]);
    expect(await metric(prox, 'prox_rate_limit_shadow_hits_total', '/shadow')).toBe(shadowBefore + 2);
    expect(await metric(prox, 'prox_rate_limit_hits_total', '/shadow')).toBe(hitsBefore);
    const line = await waitForLog(prox, 'rate limit exceeded (shadow mode, request served)', (l) => l.route === '/shadow', from);
    expect(line).toMatchObject({ level: 30, by: 'header', client: '127.0.0.1' });
  });

  it('a flood of distinct header keys stays within max_keys: prox keeps answering, the oldest key starts afresh', async () => {
    expect(statuses(await sequence(prox, '/many', 2, { 'x-client': 'flood-0' }))).toEqual([200, 429]);
    const agent = new Agent({ connections: 8 });
    try {
      const all: Promise<number>[] = [];
      for (let i = 1; i <= 1000; i++) {
        all.push(
          request(`${prox.baseUrl}/many`, { headers: { 'x-client': `flood-${i}` }, dispatcher: agent }).then(async (r) => {
            await r.body.dump();
            return r.statusCode;
          }),
        );
      }
      const answered = await Promise.all(all);
      expect(answered.every((status) => status === 200)).toBe(true);
    } finally {
      await agent.close();
    }
    // flood-0 was the least recently used of 1001 keys with room for 100: forgotten, so fresh.
    expect((await get(prox, '/many', { 'x-client': 'flood-0' })).status).toBe(200);
    expect((await fetch(`${prox.adminUrl}/healthz`)).status).toBe(200);
  });

  it('the debug clock exists only in test-clock mode', async () => {
    const plain = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:\n  /: {type: redirect, target: "/x"}\n`);
    try {
      const response = await fetch(`${plain.adminUrl}/debug/clock?advance_ms=1000`, { method: 'POST' });
      expect(response.status).toBe(405);
      expect((await fetch(`${plain.adminUrl}/debug/clock`)).status).toBe(404);
    } finally {
      await plain.stop();
    }
  });
});

describe('rate limiting behind a trusted proxy', () => {
  let backend: TestBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    backend = await startBackend((_req, res) => res.end('ok'));
    prox = await startProx(
      'listen_addr: "127.0.0.1:0"\ntrusted_proxies: ["127.0.0.1"]\nroutes:\n' +
        limited('/ip', backend, '{by: ip, requests: 1, period: 1h, max_keys: 50}'),
      TEST_CLOCK,
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('by ip: the client named by a trusted peer in X-Forwarded-For is the key', async () => {
    const as = (client: string) => get(prox, '/ip', { 'x-forwarded-for': client });
    expect((await as('198.51.100.1')).status).toBe(200);
    expect((await as('198.51.100.1')).status).toBe(429);
    expect((await as('198.51.100.2')).status).toBe(200);
    // A forged entry left of the real client is not what is counted.
    expect((await as('6.6.6.6, 198.51.100.1')).status).toBe(429);
  });

  it('a flood of distinct forwarded addresses does not take prox down', async () => {
    const agent = new Agent({ connections: 8 });
    try {
      const all: Promise<number>[] = [];
      for (let i = 0; i < 500; i++) {
        all.push(
          request(`${prox.baseUrl}/ip`, { headers: { 'x-forwarded-for': `10.1.${i >> 8}.${i & 255}` }, dispatcher: agent }).then(async (r) => {
            await r.body.dump();
            return r.statusCode;
          }),
        );
      }
      expect((await Promise.all(all)).every((status) => status === 200)).toBe(true);
    } finally {
      await agent.close();
    }
    expect((await get(prox, '/ip', { 'x-forwarded-for': '198.51.100.77' })).status).toBe(200);
  });
});

describe('rate limiting across a hot reload', () => {
  it('keeps the counts of an unchanged rule, starts afresh for a changed one', async () => {
    const backend = await startBackend((_req, res) => res.end('ok'));
    const configOf = (changed: number, status = 429) =>
      'listen_addr: "127.0.0.1:0"\nroutes:\n' +
      limited('/same', backend, `{by: ip, requests: 1, period: 1h, algorithm: fixed_window, status_code: ${status}}`) +
      limited('/changed', backend, `{by: ip, requests: ${changed}, period: 1h, algorithm: fixed_window}`);
    const prox = await startProx(configOf(1), TEST_CLOCK);
    try {
      await startOfNextWindow(prox, HOUR_MS);
      expect(statuses(await sequence(prox, '/same', 2))).toEqual([200, 429]);
      expect(statuses(await sequence(prox, '/changed', 2))).toEqual([200, 429]);
      const reloaded = prox.nextLog('config reloaded');
      // Changing only the answer (status_code) keeps the counts.
      writeFileSync(prox.configFile, configOf(2, 503) + 'admin: { listen_addr: "127.0.0.1:0" }\n');
      await reloaded;
      expect((await get(prox, '/same')).status).toBe(503);
      expect(statuses(await sequence(prox, '/changed', 3))).toEqual([200, 200, 429]);
    } finally {
      await prox.stop();
      await backend.close();
    }
  });
});
