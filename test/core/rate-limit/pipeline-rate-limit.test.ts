import { ZlibResponseCompressor } from '../../../src/adapters/compression/zlib-compressor';
import type { RateLimitSpec, RouteConfig } from '../../../src/config/model';
import { ProxyPipeline } from '../../../src/core/proxy-pipeline';
import { FakeFileSystem } from '../support/fake-file-system';
import { RequestIdGenerator } from '../../../src/core/request-id';
import type { InboundRequest } from '../../../src/ports/http-server';
import type { RequestObserver, RequestRecord } from '../../../src/ports/request-observer';
import { FakeExchange, FakeUpstreamClient, inboundRequest, RecordingLogger } from '../support/fakes';
import { compileHarness, config, proxy, redirectRoute } from '../support/route-builders';
import { SeededRandom } from '../support/seeded-random';

function limit(overrides: Partial<RateLimitSpec> = {}): RateLimitSpec {
  return {
    by: 'ip',
    headerName: null,
    requests: 2,
    periodSecs: 60,
    statusCode: 429,
    message: null,
    algorithm: 'fixed_window',
    onMissingKey: 'allow',
    burst: 2,
    mode: 'enforce',
    maxKeys: 1000,
    ...overrides,
  };
}

class RecordingObserver implements RequestObserver {
  readonly records: RequestRecord[] = [];
  requestCompleted(record: RequestRecord): void {
    this.records.push({ ...record });
  }
  upstreamAttempted(): void {}
  retried(): void {}
}

function setup(routes: RouteConfig[], trusted: string[] = []) {
  const upstream = new FakeUpstreamClient();
  const logger = new RecordingLogger();
  const observer = new RecordingObserver();
  const harness = compileHarness();
  // Start on a minute boundary, so a 60 s fixed window has exactly 60 s left.
  harness.clock.advance(60_000 - (harness.clock.nowMs() % 60_000));
  const trust = new Set(trusted);
  const compile = (next: RouteConfig[]) => harness.compile(config(next, trusted), (address) => trust.has(address));
  const pipeline = new ProxyPipeline(compile(routes), { upstreams: upstream, clock: harness.clock, logger, observer, requestIds: new RequestIdGenerator(new SeededRandom(7)), files: new FakeFileSystem(), compressor: new ZlibResponseCompressor() });
  const send = (request: Partial<InboundRequest> = {}): FakeExchange => {
    const exchange = new FakeExchange(inboundRequest({ path: '/api', ...request }));
    pipeline.handle(exchange);
    // Answer proxied requests at once so every exchange ends with a response.
    if (upstream.dispatches.length > answered) {
      answered = upstream.dispatches.length;
      upstream.last.respond(200, ['content-type', 'text/plain', 'ratelimit', '"upstream";r=1;t=1']);
      upstream.last.handler.onUpstreamEnd();
    }
    return exchange;
  };
  let answered = 0;
  const reload = (next: RouteConfig[]) => pipeline.replaceConfig(compile(next));
  return { upstream, logger, observer, pipeline, send, harness, reload, clock: harness.clock };
}

function statusOf(exchange: FakeExchange): number {
  const event = exchange.events[0];
  if (event.type !== 'respond' && event.type !== 'startResponse') throw new Error(`no response: ${event.type}`);
  return event.status;
}

function headersOf(exchange: FakeExchange): readonly string[] {
  const event = exchange.events[0];
  if (event.type !== 'respond' && event.type !== 'startResponse') throw new Error(`no response: ${event.type}`);
  return event.headers;
}

function header(exchange: FakeExchange, name: string): string[] {
  const flat = headersOf(exchange);
  const values: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) values.push(flat[i + 1]);
  return values;
}

function bodyOf(exchange: FakeExchange): string {
  const event = exchange.events[0];
  return event.type === 'respond' ? String(event.body) : '';
}

describe('rate limit stage of the pipeline', () => {
  it('refuses over the limit with 429, JSON body, Retry-After and RateLimit headers; nothing goes upstream', () => {
    const { send, upstream, clock } = setup([proxy('/api', 'http://b:1', { rateLimit: limit() })]);
    clock.advance(15_000);
    const first = send();
    const second = send();
    const third = send();
    expect([first, second, third].map(statusOf)).toEqual([200, 200, 429]);
    expect(upstream.dispatches).toHaveLength(2);
    expect(header(first, 'ratelimit-policy')).toEqual(['"default";q=2;w=60']);
    // The upstream's own RateLimit field is kept; prox's is added after it.
    expect(header(first, 'ratelimit')).toEqual(['"upstream";r=1;t=1', '"default";r=1;t=45']);
    expect(header(second, 'ratelimit')).toEqual(['"upstream";r=1;t=1', '"default";r=0;t=45']);
    expect(header(first, 'retry-after')).toEqual([]);
    expect(headersOf(third)).toEqual([
      'content-type', 'application/json',
      'retry-after', '45',
      'ratelimit-policy', '"default";q=2;w=60',
      'ratelimit', '"default";r=0;t=45',
    ]);
    expect(JSON.parse(bodyOf(third))).toEqual({ error: 'rate_limited', status: 429 });
    // The request id still goes on the refusal.
    expect(third.requestIds).toHaveLength(1);
  });

  it('Retry-After is whole seconds rounded up, at least 1', () => {
    const { send, clock } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1 }) })]);
    clock.advance(59_999);
    send();
    expect(header(send(), 'retry-after')).toEqual(['1']);
    clock.advance(1); // new window
    send();
    clock.advance(58_500);
    expect(header(send(), 'retry-after')).toEqual(['2']);
  });

  it('answers a configured status_code and message (text/plain)', () => {
    const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1, statusCode: 403, message: 'Rate limit exceeded for your API key.' }) })]);
    send();
    const refused = send();
    expect(statusOf(refused)).toBe(403);
    expect(header(refused, 'content-type')).toEqual(['text/plain; charset=utf-8']);
    expect(bodyOf(refused)).toBe('Rate limit exceeded for your API key.');
    expect(header(refused, 'retry-after')).toEqual(['60']);
  });

  it('puts the headers on redirects too, and limits them', () => {
    const { send } = setup([redirectRoute('/api', 'https://new.example/', 301, { rateLimit: limit() })]);
    const first = send();
    expect(statusOf(first)).toBe(301);
    expect(header(first, 'location')).toEqual(['https://new.example/']);
    expect(header(first, 'ratelimit')).toEqual(['"default";r=1;t=60']);
    send();
    expect(statusOf(send())).toBe(429);
  });

  it('puts the headers on prox\'s own errors of a limited route (502 when the backend fails)', () => {
    const { pipeline, upstream } = setup([proxy('/api', 'http://b:1', { rateLimit: limit() })]);
    const exchange = new FakeExchange(inboundRequest({ path: '/api' }));
    pipeline.handle(exchange);
    upstream.last.handler.onUpstreamError({ kind: 'reset', requestSent: true, detail: 'reset' });
    expect(statusOf(exchange)).toBe(502);
    expect(header(exchange, 'ratelimit')).toEqual(['"default";r=1;t=60']);
  });

  it('routes without rate_limit get no RateLimit headers', () => {
    const { send } = setup([proxy('/api', 'http://b:1')]);
    const exchange = send();
    expect(header(exchange, 'ratelimit-policy')).toEqual([]);
    expect(header(exchange, 'ratelimit')).toEqual(['"upstream";r=1;t=1']);
  });

  describe('keys', () => {
    it('by ip: each client address has its own quota', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1 }) })]);
      expect(statusOf(send({ remoteAddress: '198.51.100.1' }))).toBe(200);
      expect(statusOf(send({ remoteAddress: '198.51.100.1' }))).toBe(429);
      expect(statusOf(send({ remoteAddress: '198.51.100.2' }))).toBe(200);
    });

    it('by ip: X-Forwarded-For from an untrusted peer is ignored (no fresh key by forging it)', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1 }) })]);
      send({ remoteAddress: '198.51.100.1', headers: ['host', 'example.com', 'x-forwarded-for', '192.0.2.1'] });
      const forged = send({ remoteAddress: '198.51.100.1', headers: ['host', 'example.com', 'x-forwarded-for', '192.0.2.99'] });
      expect(statusOf(forged)).toBe(429);
    });

    it('by ip: behind a trusted proxy, the client from X-Forwarded-For is the key', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1 }) })], ['10.0.0.1']);
      const via = (client: string) => send({ remoteAddress: '10.0.0.1', headers: ['host', 'example.com', 'x-forwarded-for', `6.6.6.6, ${client}`] });
      expect(statusOf(via('192.0.2.1'))).toBe(200);
      expect(statusOf(via('192.0.2.1'))).toBe(429);
      expect(statusOf(via('192.0.2.2'))).toBe(200);
    });

    it('by header: the header value is the key (names are matched case-insensitively, as lower-cased by the server)', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ by: 'header', headerName: 'x-api-key', requests: 1 }) })]);
      const withKey = (key: string) => send({ headers: ['host', 'example.com', 'x-api-key', key] });
      expect(statusOf(withKey('alpha'))).toBe(200);
      expect(statusOf(withKey('alpha'))).toBe(429);
      expect(statusOf(withKey('beta'))).toBe(200);
    });

    it('by header, on_missing_key allow: requests without the header are not limited', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ by: 'header', headerName: 'x-api-key', requests: 1 }) })]);
      const statuses = [send(), send(), send({ headers: ['host', 'example.com', 'x-api-key', ''] })].map(statusOf);
      expect(statuses).toEqual([200, 200, 200]);
      expect(header(send(), 'ratelimit-policy')).toEqual(['"default";q=1;w=60']);
    });

    it('by header, on_missing_key deny: requests without the header get the limit status, without Retry-After', () => {
      const { send, upstream } = setup([
        proxy('/api', 'http://b:1', { rateLimit: limit({ by: 'header', headerName: 'x-api-key', onMissingKey: 'deny', statusCode: 401 }) }),
      ]);
      const refused = send();
      expect(statusOf(refused)).toBe(401);
      expect(JSON.parse(bodyOf(refused))).toEqual({ error: 'rate_limited', status: 401 });
      expect(header(refused, 'retry-after')).toEqual([]);
      expect(upstream.dispatches).toHaveLength(0);
      expect(statusOf(send({ headers: ['host', 'example.com', 'x-api-key', 'k'] }))).toBe(200);
    });

    it('by route: every client shares one quota', () => {
      const { send } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ by: 'route', requests: 2 }) })]);
      const statuses = ['198.51.100.1', '198.51.100.2', '198.51.100.3'].map((ip) => statusOf(send({ remoteAddress: ip })));
      expect(statuses).toEqual([200, 200, 429]);
    });
  });

  it('records refusals for metrics and the access log', () => {
    const { send, observer } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1 }) })]);
    send();
    send();
    expect(observer.records.map((r) => [r.status, r.errorCode, r.rateLimited])).toEqual([
      [200, null, null],
      [429, 'rate_limited', 'enforced'],
    ]);
  });

  it('shadow mode serves every request, marks the ones over the limit, sends the headers and logs (throttled)', () => {
    const { send, observer, logger, upstream, clock } = setup([proxy('/api', 'http://b:1', { rateLimit: limit({ requests: 1, mode: 'shadow' }) })]);
    const exchanges = [send(), send(), send()];
    expect(exchanges.map(statusOf)).toEqual([200, 200, 200]);
    expect(upstream.dispatches).toHaveLength(3);
    expect(observer.records.map((r) => r.rateLimited)).toEqual([null, 'shadow', 'shadow']);
    expect(header(exchanges[2], 'ratelimit')).toEqual(['"upstream";r=1;t=1', '"default";r=0;t=60']);
    expect(header(exchanges[2], 'retry-after')).toEqual([]);
    const lines = () => logger.entries.filter((e) => e.message.startsWith('rate limit exceeded (shadow mode'));
    expect(lines()).toHaveLength(1);
    expect(lines()[0].fields).toMatchObject({ route: '/api', by: 'ip', client: '203.0.113.7', suppressed: 0 });
    clock.advance(1000);
    send();
    expect(lines()).toHaveLength(2);
    expect(lines()[1].fields).toMatchObject({ suppressed: 1 });
  });

  it('keeps the counts across a reload with an unchanged rule, and starts afresh when the rule changes', () => {
    const routes = (spec: RateLimitSpec) => [proxy('/api', 'http://b:1', { rateLimit: spec })];
    const { send, reload, harness } = setup(routes(limit({ requests: 1 })));
    send();
    expect(statusOf(send())).toBe(429);
    // Answer-only settings (status) may change without resetting the counts.
    reload(routes(limit({ requests: 1, statusCode: 503 })));
    expect(statusOf(send())).toBe(503);
    reload(routes(limit({ requests: 2 })));
    expect(statusOf(send())).toBe(200);
    expect(harness.rateLimits.size).toBe(1);
    reload([proxy('/api', 'http://b:1')]);
    expect(harness.rateLimits.size).toBe(0);
  });

  it('a store that answers later (a shared store) is awaited; one that fails lets the request through', async () => {
    const { pipeline, upstream, logger } = setup([proxy('/api', 'http://b:1', { rateLimit: limit() })]);
    const counter = pipeline.current.routes.all()[0].rateLimit!.counter as { take: unknown };
    counter.take = () => Promise.resolve({ allowed: false, remaining: 0, resetMs: 5000, retryAfterMs: 5000 });
    const later = new FakeExchange(inboundRequest({ path: '/api' }));
    pipeline.handle(later);
    expect(later.events).toEqual([]);
    await Promise.resolve();
    await Promise.resolve();
    expect(statusOf(later)).toBe(429);
    expect(header(later, 'retry-after')).toEqual(['5']);
    counter.take = () => Promise.reject(new Error('store down'));
    const failing = new FakeExchange(inboundRequest({ path: '/api' }));
    pipeline.handle(failing);
    await new Promise((resolve) => setImmediate(resolve));
    expect(upstream.dispatches).toHaveLength(1);
    expect(logger.entries.map((e) => e.message)).toContain('rate limit store failed; request served unlimited');
  });
});
