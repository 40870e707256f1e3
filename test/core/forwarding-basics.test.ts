import { errorBody, respondWithError } from '../../src/core/error-responses';
import { connectionNominatedHeaders, isHopByHop } from '../../src/core/forwarding/hop-by-hop';
import { parseUpstreamTarget } from '../../src/core/forwarding/upstream-target';
import { FakeExchange, inboundRequest } from './support/fakes';
import { compileHarness, config, loadBalance, proxy, redirectRoute } from './support/route-builders';

describe('parseUpstreamTarget', () => {
  test.each<[string, string, string, string]>([
    // url, origin, authority, basePath
    ['http://h:1', 'http://h:1', 'h:1', ''],
    ['http://h:1/', 'http://h:1', 'h:1', ''],
    ['http://h:1/base', 'http://h:1', 'h:1', '/base'],
    ['http://h:1/base/', 'http://h:1', 'h:1', '/base'],
    ['http://h:1/a/b', 'http://h:1', 'h:1', '/a/b'],
    ['https://api.example.com', 'https://api.example.com', 'api.example.com', ''],
    ['http://Backend.Internal:8080/X', 'http://backend.internal:8080', 'backend.internal:8080', '/X'],
    ['http://127.0.0.1:9000', 'http://127.0.0.1:9000', '127.0.0.1:9000', ''],
    ['http://[::1]:9000/p', 'http://[::1]:9000', '[::1]:9000', '/p'],
    // default ports are implied
    ['http://h:80/', 'http://h', 'h', ''],
    ['https://h:443/s', 'https://h', 'h', '/s'],
  ])('%s', (url, origin, authority, basePath) => {
    expect(parseUpstreamTarget(url)).toMatchObject({ url, origin, authority, basePath });
  });

  test('http targets: no TLS, the origin is the pool key', () => {
    expect(parseUpstreamTarget('http://h:1/x')).toMatchObject({ poolKey: 'http://h:1', tls: null });
  });

  test('https targets: system CAs and the host name as SNI by default, no SNI for an IP', () => {
    expect(parseUpstreamTarget('https://API.example.com:8443')).toMatchObject({
      poolKey: 'https://api.example.com:8443|system',
      tls: { ca: null, serverName: 'api.example.com', verify: true, id: 'system' },
    });
    expect(parseUpstreamTarget('https://127.0.0.1:8443').tls).toMatchObject({ serverName: null });
    expect(parseUpstreamTarget('https://[::1]:8443').tls).toMatchObject({ serverName: null });
  });

  test('https targets with upstream_tls: its CA, SNI name and verification; its id in the pool key', () => {
    const spec = { caPath: '/ca.pem', ca: 'PEM', serverName: 'api.internal', insecureSkipVerify: false, id: 'abc' };
    expect(parseUpstreamTarget('https://10.0.0.1:8443', spec)).toMatchObject({
      poolKey: 'https://10.0.0.1:8443|abc',
      tls: { ca: 'PEM', serverName: 'api.internal', verify: true, id: 'abc' },
    });
    expect(parseUpstreamTarget('https://h', { ...spec, insecureSkipVerify: true, serverName: null }).tls).toMatchObject({ serverName: 'h', verify: false });
    // upstream_tls changes nothing for http targets
    expect(parseUpstreamTarget('http://h', spec)).toMatchObject({ poolKey: 'http://h', tls: null });
  });
});

describe('hop-by-hop', () => {
  test.each(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])('%s is hop-by-hop', (name) => {
    expect(isHopByHop(name)).toBe(true);
  });

  test.each(['content-length', 'content-type', 'cookie', 'set-cookie', 'host', 'trailers', 'x-connection', 'expect'])(
    '%s is end-to-end',
    (name) => {
      expect(isHopByHop(name)).toBe(false);
    },
  );

  test.each<[string[], string[] | null]>([
    [[], null],
    [['accept', 'x-foo'], null],
    [['connection', 'close'], null],
    [['connection', 'keep-alive'], null],
    [['connection', ' Keep-Alive\t'], null],
    [['connection', 'keep-alive-x'], ['keep-alive-x']],
    [['connection', 'Keep-Alive, Close'], null],
    [['connection', 'close, X-Foo'], ['x-foo']],
    [['connection', ' X-A ,x-b,, '], ['x-a', 'x-b']],
    [['connection', 'x-a', 'accept', 'x', 'connection', 'X-B, close'], ['x-a', 'x-b']],
  ])('connectionNominatedHeaders(%j) = %j', (headers, expected) => {
    const result = connectionNominatedHeaders(headers);
    expect(result === null ? null : [...result].sort()).toEqual(expected);
  });
});

describe('error responses', () => {
  test.each<[Parameters<typeof errorBody>[0], number]>([
    ['no_route', 404],
    ['bad_gateway', 502],
    ['gateway_timeout', 504],
    ['payload_too_large', 413],
  ])('%s %i', (code, status) => {
    expect(errorBody(code, status)).toBe(`{"error":"${code}","status":${status}}`);
    // cached bodies are the same for repeated calls and never mixed between statuses
    expect(errorBody(code, status)).toBe(errorBody(code, status));
    expect(errorBody(code, status + 1)).toBe(`{"error":"${code}","status":${status + 1}}`);
  });

  test('respondWithError sends one complete JSON response', () => {
    const exchange = new FakeExchange(inboundRequest());
    respondWithError(exchange, 404, 'no_route');
    expect(exchange.events).toEqual([
      { type: 'respond', status: 404, headers: ['content-type', 'application/json'], body: '{"error":"no_route","status":404}' },
    ]);
  });
});

describe('compileConfig', () => {
  test('collects every forwarding origin, and only those', () => {
    const compiled = compileHarness().compile(
      config([
        proxy('/a', 'http://a:1/base'),
        loadBalance('/b', ['http://b:1', 'https://c'], { strategy: 'random' }),
        redirectRoute('/r', 'http://not-an-origin:1/', 302),
      ]),
    );
    expect([...compiled.origins].sort()).toEqual(['http://a:1', 'http://b:1', 'https://c|system']);
  });
});
