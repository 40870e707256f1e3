import { ZlibResponseCompressor } from '../../src/adapters/compression/zlib-compressor';
import type { RedirectRoute, RouteConfig } from '../../src/config/model';
import { NO_OBSERVER } from '../../src/ports/request-observer';
import { RequestIdGenerator } from '../../src/core/request-id';
import { ProxyPipeline } from '../../src/core/proxy-pipeline';
import type { InboundRequest } from '../../src/ports/http-server';
import type { UpstreamFailureKind } from '../../src/ports/upstream-client';
import { FakeFileSystem } from './support/fake-file-system';
import { FakeExchange, FakeUpstreamClient, inboundRequest, inertBody, RecordingLogger } from './support/fakes';
import { compileHarness, config, loadBalance, proxy, redirectRoute, staticRoute } from './support/route-builders';
import { SeededRandom } from './support/seeded-random';

// ---- harness ---------------------------------------------------------------------------------

function setup(routes: RouteConfig[], options: { seed?: number; trusted?: string[] } = {}) {
  const upstream = new FakeUpstreamClient();
  const logger = new RecordingLogger();
  const trusted = new Set(options.trusted ?? []);
  const harness = compileHarness(new SeededRandom(options.seed ?? 42));
  const compiled = harness.compile(config(routes, [...trusted]), (address) => trusted.has(address));
  const pipeline = new ProxyPipeline(compiled, { upstreams: upstream, clock: harness.clock, logger, observer: NO_OBSERVER, requestIds: new RequestIdGenerator(new SeededRandom(7)), files: new FakeFileSystem(), compressor: new ZlibResponseCompressor() });
  const send = (request: Partial<InboundRequest> = {}): FakeExchange => {
    const exchange = new FakeExchange(inboundRequest(request));
    pipeline.handle(exchange);
    return exchange;
  };
  return { upstream, logger, pipeline, send, harness };
}

function headerValues(flat: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < flat.length; i += 2) if (flat[i] === name) values.push(flat[i + 1]);
  return values;
}

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

// ---- tests -----------------------------------------------------------------------------------

describe('ProxyPipeline: answers without an upstream', () => {
  test('no route: 404 with the JSON error body, nothing dispatched', () => {
    const { send, upstream, pipeline } = setup([proxy('/api', 'http://h:1'), proxy('shop.test/', 'http://h:2')]);
    const exchange = send({ path: '/apiary' });
    expect(exchange.events).toEqual([
      { type: 'respond', status: 404, headers: ['content-type', 'application/json'], body: '{"error":"no_route","status":404}' },
    ]);
    expect(JSON.parse(exchange.events[0].type === 'respond' ? String(exchange.events[0].body) : '')).toEqual({
      error: 'no_route',
      status: 404,
    });
    expect(upstream.dispatches).toHaveLength(0);
    expect(pipeline.drain.count).toBe(0);
  });

  test.each<[RedirectRoute['statusCode']]>([[301], [302], [307], [308]])('redirect route answers %i with its Location', (status) => {
    const { send, upstream, pipeline } = setup([redirectRoute('/old', 'https://new.example/landing', status)]);
    const exchange = send({ path: '/old/page' });
    expect(exchange.events).toHaveLength(1);
    const [event] = exchange.events;
    expect(event.type).toBe('respond');
    if (event.type !== 'respond') return;
    expect(event.status).toBe(status);
    expect(headerValues(event.headers, 'location')).toEqual(['https://new.example/landing']);
    expect(event.body).toBeNull();
    expect(upstream.dispatches).toHaveLength(0);
    expect(pipeline.drain.count).toBe(0);
  });

  test('static route refuses methods other than GET and HEAD without touching upstreams', () => {
    const { send, upstream, pipeline } = setup([staticRoute('/files')]);
    const exchange = send({ method: 'POST', path: '/files/a.txt' });
    expect(exchange.events).toEqual([
      { type: 'respond', status: 405, headers: ['content-type', 'application/json', 'allow', 'GET, HEAD'], body: '{"error":"method_not_allowed","status":405}' },
    ]);
    expect(upstream.dispatches).toHaveLength(0);
    expect(pipeline.drain.count).toBe(0);
  });

  test('routing uses the request hostname', () => {
    const { send, upstream } = setup([proxy('shop.test/', 'http://shop:1'), proxy('/', 'http://default:1')]);
    send({ hostname: 'shop.test', authority: 'shop.test' });
    send({ hostname: 'other.test', authority: 'other.test' });
    expect(upstream.dispatches.map((d) => d.request.origin)).toEqual(['http://shop:1', 'http://default:1']);
  });
});

describe('ProxyPipeline: the upstream request', () => {
  test('rewritten path keeps the query; origin, method, headers, body and timeouts carried', () => {
    const { send, upstream } = setup([
      proxy('/api', 'http://users.internal:8080', { pathRewrite: '/v2', timeoutSecs: 30, connectTimeoutSecs: 2 }),
    ]);
    const body = inertBody();
    send({ method: 'POST', path: '/api/users', query: 'q=1', body, headers: ['host', 'example.com', 'accept', '*/*'] });
    expect(upstream.dispatches).toHaveLength(1);
    const request = upstream.last.request;
    expect(request).toEqual({
      origin: 'http://users.internal:8080',
      poolKey: 'http://users.internal:8080',
      tls: null,
      method: 'POST',
      pathAndQuery: '/v2/users?q=1',
      headers: [
        'accept', '*/*',
        'x-request-id', '02zpieg8jq-1',
        'host', 'users.internal:8080',
        'x-forwarded-for', '203.0.113.7',
        'x-forwarded-proto', 'http',
        'x-forwarded-host', 'example.com',
      ],
      body,
      connectTimeoutMs: 2000,
      headersTimeoutMs: 30000,
      bodyTimeoutMs: 30000,
    });
    expect(request.body).toBe(body);
  });

  test.each<[string, string, string | null, string, string, string]>([
    // key, target, rewrite, path, query, expected pathAndQuery
    ['/api', 'http://h:1', null, '/api/users', '', '/api/users'],
    ['/api', 'http://h:1', null, '/api/users', 'q=1&r=2', '/api/users?q=1&r=2'],
    ['/api', 'http://h:1', '/v2', '/api/users', 'q=1', '/v2/users?q=1'],
    ['/api', 'http://h:1', '/v2', '/api', '', '/v2'],
    ['/api', 'http://h:1', '/v2', '/api/', '', '/v2/'],
    ['/api', 'http://h:1', '/', '/api/users', 'q=1', '/users?q=1'],
    ['/api/v1', 'http://h:1', '/', '/api/v1/users', '', '/users'],
    // target base path is prefixed
    ['/api', 'http://h:1/base', null, '/api/users', 'q=1', '/base/api/users?q=1'],
    ['/api', 'http://h:1/base', '/v2', '/api/users', 'q=1', '/base/v2/users?q=1'],
    ['/api', 'http://h:1/base/', '/', '/api/users', '', '/base/users'],
    ['/', 'http://h:1/base', null, '/', '', '/base/'],
    // dot segments are resolved before routing and forwarding
    ['/api', 'http://h:1', '/v2', '/api/./users/../items', '', '/v2/items'],
    ['/', 'http://h:1', null, '/api/%2e%2e/admin', 'x=1', '/admin?x=1'],
    // the query is passed through untouched
    ['/api', 'http://h:1', null, '/api', 'a=%2F&b=../c', '/api?a=%2F&b=../c'],
  ])('%s -> %s (rewrite %p): %s ? %s -> %s', (key, target, pathRewrite, path, query, expected) => {
    const { send, upstream } = setup([proxy(key, target, { pathRewrite })]);
    send({ path, query });
    expect(upstream.last.request.pathAndQuery).toBe(expected);
  });

  test('dot segments cannot escape a rewritten prefix: /api/../admin routes to /admin', () => {
    const { send, upstream } = setup([
      proxy('/api', 'http://api:1', { pathRewrite: '/v2' }),
      proxy('/', 'http://root:1'),
    ]);
    send({ path: '/api/../admin' });
    expect(upstream.last.request.origin).toBe('http://root:1');
    expect(upstream.last.request.pathAndQuery).toBe('/admin');
  });

  test('round robin across targets, continuing across requests', () => {
    const { send, upstream } = setup([loadBalance('/', ['http://a:1', 'http://b:2', 'http://c:3'])]);
    for (let i = 0; i < 7; i++) send({ path: `/r${i}` });
    expect(upstream.dispatches.map((d) => d.request.origin)).toEqual([
      'http://a:1', 'http://b:2', 'http://c:3', 'http://a:1', 'http://b:2', 'http://c:3', 'http://a:1',
    ]);
    expect(upstream.dispatches.map((d) => headerValues(d.request.headers, 'host')[0])).toEqual([
      'a:1', 'b:2', 'c:3', 'a:1', 'b:2', 'c:3', 'a:1',
    ]);
  });

  test('round robin state is per route', () => {
    const { send, upstream } = setup([
      loadBalance('/x', ['http://x1:1', 'http://x2:1']),
      loadBalance('/y', ['http://y1:1', 'http://y2:1']),
    ]);
    send({ path: '/x' });
    send({ path: '/y' });
    send({ path: '/x' });
    send({ path: '/y' });
    expect(upstream.dispatches.map((d) => d.request.origin)).toEqual(['http://x1:1', 'http://y1:1', 'http://x2:1', 'http://y2:1']);
  });

  test('random strategy follows the injected source exactly', () => {
    const { send, upstream } = setup([loadBalance('/', ['http://a:1', 'http://b:1', 'http://c:1'], { strategy: 'random' })], { seed: 42 });
    for (let i = 0; i < 6; i++) send();
    // SeededRandom(42).nextInt(3): 1, 1, 2, 2, 0, 1
    expect(upstream.dispatches.map((d) => d.request.origin)).toEqual([
      'http://b:1', 'http://b:1', 'http://c:1', 'http://c:1', 'http://a:1', 'http://b:1',
    ]);
  });

  test('each target carries its own base path', () => {
    const { send, upstream } = setup([loadBalance('/', ['http://a:1/one', 'http://b:1'])]);
    send({ path: '/p', query: 'z' });
    send({ path: '/p', query: 'z' });
    expect(upstream.dispatches.map((d) => d.request.origin + d.request.pathAndQuery)).toEqual(['http://a:1/one/p?z', 'http://b:1/p?z']);
  });

  test('preserve_host sends the client authority', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1', { preserveHost: true })]);
    send({ authority: 'www.example.com:3000', hostname: 'www.example.com', headers: ['host', 'www.example.com:3000'] });
    expect(headerValues(upstream.last.request.headers, 'host')).toEqual(['www.example.com:3000']);
  });

  test('X-Forwarded-For chain is kept only from trusted peers', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1')], { trusted: ['10.0.0.1'] });
    send({ remoteAddress: '10.0.0.1', headers: ['x-forwarded-for', '198.51.100.9'] });
    send({ remoteAddress: '203.0.113.7', headers: ['x-forwarded-for', '198.51.100.9'] });
    expect(upstream.dispatches.map((d) => headerValues(d.request.headers, 'x-forwarded-for'))).toEqual([
      ['198.51.100.9, 10.0.0.1'],
      ['203.0.113.7'],
    ]);
  });

  test('a reloaded config applies to the next request', () => {
    const { send, upstream, pipeline, harness } = setup([proxy('/', 'http://old:1')]);
    send();
    const next = harness.compile(config([proxy('/', 'http://new:1')]));
    pipeline.replaceConfig(next);
    expect(pipeline.current).toBe(next);
    send();
    expect(upstream.dispatches.map((d) => d.request.origin)).toEqual(['http://old:1', 'http://new:1']);
  });
});

describe('ProxyPipeline: streaming the response back', () => {
  test('status, filtered headers and content length, body chunks, end; drain back to 0', async () => {
    const { send, upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    expect(pipeline.drain.count).toBe(1);
    const call = upstream.last;
    call.respond(201, ['content-length', '5', 'connection', 'keep-alive', 'date', 'x', 'set-cookie', 'a=1', 'set-cookie', 'b=2']);
    expect(call.handler.onUpstreamData(bytes('he'))).toBe(true);
    expect(call.handler.onUpstreamData(bytes('llo'))).toBe(true);
    expect(pipeline.drain.count).toBe(1);
    call.handler.onUpstreamEnd();
    expect(exchange.events).toEqual([
      { type: 'startResponse', status: 201, headers: ['set-cookie', 'a=1', 'set-cookie', 'b=2'], contentLength: 5 },
      { type: 'write', chunk: bytes('he') },
      { type: 'write', chunk: bytes('llo') },
      { type: 'end' },
    ]);
    expect(pipeline.drain.count).toBe(0);
    await expect(pipeline.drain.idle()).resolves.toBeUndefined();
    expect(call.aborts).toBe(0);
  });

  test('a slow client pauses the upstream, and resumes it once writable', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    const call = upstream.last;
    call.respond(200);
    exchange.writeAccepts = false;
    expect(call.handler.onUpstreamData(bytes('a'))).toBe(false);
    expect(call.flow.resumes).toBe(0);
    exchange.writeAccepts = true;
    exchange.becomeWritable();
    expect(call.flow.resumes).toBe(1);
  });

  test('no resume after the exchange has settled', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    const call = upstream.last;
    call.respond(200);
    exchange.writeAccepts = false;
    call.handler.onUpstreamData(bytes('a'));
    exchange.goAway();
    exchange.becomeWritable();
    expect(call.flow.resumes).toBe(0);
  });

  test('callbacks after the end are ignored, drain not decremented twice', () => {
    const { send, upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    const call = upstream.last;
    call.respond(200);
    call.handler.onUpstreamEnd();
    call.handler.onUpstreamEnd();
    call.handler.onUpstreamError({ kind: 'reset', requestSent: true, detail: 'late' });
    expect(call.handler.onUpstreamData(bytes('late'))).toBe(false);
    exchange.goAway();
    expect(exchange.eventTypes()).toEqual(['startResponse', 'end']);
    expect(pipeline.drain.count).toBe(0);
    expect(call.aborts).toBe(0);
  });
});

describe('ProxyPipeline: upstream failures', () => {
  test.each<[UpstreamFailureKind, number, string]>([
    ['connect_refused', 502, 'bad_gateway'],
    ['connect_timeout', 504, 'gateway_timeout'],
    ['response_timeout', 504, 'gateway_timeout'],
    ['reset', 502, 'bad_gateway'],
    ['protocol', 502, 'bad_gateway'],
    ['request_body', 400, 'bad_request'],
    ['request_too_large', 413, 'payload_too_large'],
    ['request_body_timeout', 408, 'request_timeout'],
    ['other', 502, 'bad_gateway'],
  ])('%s before the response started -> %i %s', (kind, status, code) => {
    const { send, upstream, pipeline, logger } = setup([proxy('/api', 'http://h:1')]);
    const exchange = send({ path: '/api/x', query: 'k=v' });
    upstream.last.handler.onUpstreamError({ kind, requestSent: false, detail: 'boom' });
    expect(exchange.events).toEqual([
      { type: 'respond', status, headers: ['content-type', 'application/json'], body: JSON.stringify({ error: code, status }) },
    ]);
    expect(pipeline.drain.count).toBe(0);
    expect(logger.entries).toEqual([
      {
        level: 'warn',
        message: 'upstream request failed',
        fields: { origin: 'http://h:1', method: 'GET', path: '/api/x?k=v', kind, detail: 'boom', retrying: false },
      },
    ]);
  });

  test.each<[UpstreamFailureKind]>([['connect_refused'], ['response_timeout'], ['reset'], ['protocol'], ['request_too_large']])(
    '%s after the response started -> abort, no error response',
    (kind) => {
      const { send, upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
      const exchange = send();
      const call = upstream.last;
      call.respond(200, ['content-length', '10']);
      call.handler.onUpstreamData(bytes('part'));
      call.handler.onUpstreamError({ kind, requestSent: true, detail: 'mid-body' });
      expect(exchange.eventTypes()).toEqual(['startResponse', 'write', 'abort']);
      expect(pipeline.drain.count).toBe(0);
    },
  );
});

describe('ProxyPipeline: client gone', () => {
  test('before the response: the upstream call is aborted and later callbacks are ignored', () => {
    const { send, upstream, pipeline, logger } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    const call = upstream.last;
    expect(exchange.clientGoneListeners).toBe(1);
    exchange.goAway();
    expect(call.aborts).toBe(1);
    expect(pipeline.drain.count).toBe(0);
    call.respond(200);
    call.handler.onUpstreamError({ kind: 'reset', requestSent: true, detail: 'aborted' });
    expect(exchange.events).toEqual([]);
    expect(pipeline.drain.count).toBe(0);
    expect(logger.entries).toEqual([]);
  });

  test('mid-body: the upstream call is aborted once and nothing more is written', () => {
    const { send, upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const exchange = send();
    const call = upstream.last;
    call.respond(200);
    call.handler.onUpstreamData(bytes('a'));
    exchange.goAway();
    exchange.goAway();
    expect(call.aborts).toBe(1);
    expect(call.handler.onUpstreamData(bytes('b'))).toBe(false);
    call.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['startResponse', 'write']);
    expect(pipeline.drain.count).toBe(0);
  });
});

describe('ProxyPipeline: drain accounting', () => {
  test('counts every in-flight exchange and returns to 0 whatever the outcome', async () => {
    const { send, upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const ended = send();
    const failed = send();
    const gone = send();
    const abortedMidBody = send();
    send({ hostname: 'x', path: '/' }); // also forwarded: route '/' is host-less
    expect(pipeline.drain.count).toBe(5);

    let idle = false;
    void pipeline.drain.idle().then(() => {
      idle = true;
    });

    const [endCall, failCall, , midCall, lastCall] = upstream.dispatches;
    endCall.respond(204);
    endCall.handler.onUpstreamEnd();
    expect(pipeline.drain.count).toBe(4);
    failCall.handler.onUpstreamError({ kind: 'connect_timeout', requestSent: false, detail: '' });
    expect(pipeline.drain.count).toBe(3);
    gone.goAway();
    expect(pipeline.drain.count).toBe(2);
    midCall.respond(200);
    midCall.handler.onUpstreamError({ kind: 'reset', requestSent: true, detail: '' });
    expect(pipeline.drain.count).toBe(1);

    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(false);
    lastCall.handler.onUpstreamEnd();
    expect(pipeline.drain.count).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    expect(idle).toBe(true);

    expect(ended.eventTypes()).toEqual(['startResponse', 'end']);
    expect(failed.events[0]).toMatchObject({ type: 'respond', status: 504 });
    expect(gone.events).toEqual([]);
    expect(abortedMidBody.eventTypes()).toEqual(['startResponse', 'abort']);
  });

  test('answers without an upstream never touch the drain count', () => {
    const { send, pipeline } = setup([redirectRoute('/r', 'https://x.example/', 308)]);
    send({ path: '/r' });
    send({ path: '/none' });
    expect(pipeline.drain.count).toBe(0);
  });
});

describe('ProxyPipeline: client already gone when the exchange is handled', () => {
  // An adapter may call the client-gone listener at once for a client that already left
  // (UwsExchange does): no orphan upstream request may follow.
  test('sends nothing upstream (or aborts what it sent)', () => {
    const { upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const exchange = new FakeExchange(inboundRequest());
    exchange.goAway();
    pipeline.handle(exchange);
    expect(pipeline.drain.count).toBe(0);
    expect(upstream.dispatches.filter((d) => d.aborts === 0)).toEqual([]);
  });

  test('drain count still returns to 0 and nothing is written to the client', () => {
    const { upstream, pipeline } = setup([proxy('/', 'http://h:1')]);
    const exchange = new FakeExchange(inboundRequest());
    exchange.goAway();
    pipeline.handle(exchange);
    expect(pipeline.drain.count).toBe(0);
    for (const d of upstream.dispatches) {
      d.respond(200);
      d.handler.onUpstreamEnd();
    }
    expect(exchange.events).toEqual([]);
    expect(pipeline.drain.count).toBe(0);
  });
});

describe('ProxyPipeline: request ids', () => {
  test('keeps a sane incoming id, sends it upstream once and returns it', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1')]);
    const exchange = send({ headers: ['host', 'example.com', 'x-request-id', 'client-id-42'] });
    expect(headerValues(upstream.last.request.headers, 'x-request-id')).toEqual(['client-id-42']);
    upstream.last.respond(200, ['x-request-id', 'upstream-made-this']);
    expect(exchange.requestIds).toEqual(['client-id-42']);
  });

  test('replaces a missing or unsafe id with a generated one, unique per request', () => {
    const { send, upstream } = setup([proxy('/', 'http://h:1')]);
    send();
    send({ headers: ['host', 'example.com', 'x-request-id', 'bad id\twith spaces'] });
    const ids = upstream.dispatches.map((d) => headerValues(d.request.headers, 'x-request-id'));
    expect(ids).toEqual([['02zpieg8jq-1'], ['02zpieg8jq-2']]);
  });

  test('answers prox makes itself carry the id too', () => {
    const { send } = setup([proxy('/api', 'http://h:1')]);
    const exchange = send({ path: '/elsewhere', headers: ['host', 'example.com', 'x-request-id', 'abc'] });
    expect(exchange.requestIds).toEqual(['abc']);
  });
});
