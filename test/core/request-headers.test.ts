import { buildUpstreamRequestHeaders, ForwardingPolicy } from '../../src/core/forwarding/request-headers';
import type { InboundRequest } from '../../src/ports/http-server';

const PEER = '203.0.113.7';
const TRUSTED_PEER = '10.0.0.5';
const UPSTREAM = 'backend.internal:8080';

function inbound(headers: string[], overrides: Partial<InboundRequest> = {}): InboundRequest {
  return {
    method: 'GET',
    path: '/api/users',
    query: '',
    hostname: 'example.com',
    authority: 'example.com:3000',
    headers,
    remoteAddress: PEER,
    scheme: 'http',
    body: null,
    ...overrides,
  };
}

const policy = (preserveHost = false): ForwardingPolicy => ({
  preserveHost,
  isTrustedPeer: (address) => address === TRUSTED_PEER,
});

/** The headers as [name, value] pairs, for readable exact comparisons. */
function pairs(flat: readonly string[]): [string, string][] {
  expect(flat.length % 2).toBe(0);
  const out: [string, string][] = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i], flat[i + 1]]);
  return out;
}

function valuesOf(flat: readonly string[], name: string): string[] {
  return pairs(flat)
    .filter(([n]) => n === name)
    .map(([, v]) => v);
}

describe('buildUpstreamRequestHeaders', () => {
  test('plain request: end-to-end headers kept in order, then host and the X-Forwarded trio', () => {
    const out = buildUpstreamRequestHeaders(
      inbound(['host', 'example.com:3000', 'accept', '*/*', 'user-agent', 'curl/8']),
      UPSTREAM,
      policy(),
    );
    expect(pairs(out)).toEqual([
      ['accept', '*/*'],
      ['user-agent', 'curl/8'],
      ['host', UPSTREAM],
      ['x-forwarded-for', PEER],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'example.com:3000'],
    ]);
  });

  test.each(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])(
    'removes hop-by-hop header %s',
    (name) => {
      const out = buildUpstreamRequestHeaders(inbound(['accept', 'a', name, 'something', 'x-after', 'b']), UPSTREAM, policy());
      expect(valuesOf(out, name)).toEqual([]);
      expect(pairs(out).slice(0, 2)).toEqual([
        ['accept', 'a'],
        ['x-after', 'b'],
      ]);
    },
  );

  test('removes all the hop-by-hop headers at once', () => {
    const out = buildUpstreamRequestHeaders(
      inbound([
        'connection', 'keep-alive, Upgrade',
        'keep-alive', 'timeout=5',
        'proxy-connection', 'keep-alive',
        'te', 'trailers',
        'trailer', 'x-checksum',
        'transfer-encoding', 'chunked',
        'upgrade', 'websocket',
        'accept', '*/*',
      ]),
      UPSTREAM,
      policy(),
    );
    expect(pairs(out)).toEqual([
      ['accept', '*/*'],
      ['host', UPSTREAM],
      ['x-forwarded-for', PEER],
      ['x-forwarded-proto', 'http'],
      ['x-forwarded-host', 'example.com:3000'],
    ]);
  });

  test('removes every header nominated in Connection (case and whitespace insensitive), keeps the rest', () => {
    const out = buildUpstreamRequestHeaders(
      inbound([
        'connection', 'close, X-Foo',
        'x-foo', '1',
        'x-bar', '2',
        'connection', ' X-Baz ,,',
        'x-baz', '3',
        'x-foo', 'again',
      ]),
      UPSTREAM,
      policy(),
    );
    expect(valuesOf(out, 'x-foo')).toEqual([]);
    expect(valuesOf(out, 'x-baz')).toEqual([]);
    expect(valuesOf(out, 'connection')).toEqual([]);
    expect(pairs(out)[0]).toEqual(['x-bar', '2']);
    expect(out.length).toBe(2 + 8);
  });

  test('removes Expect', () => {
    const out = buildUpstreamRequestHeaders(
      inbound(['expect', '100-continue', 'content-length', '5'], { method: 'POST' }),
      UPSTREAM,
      policy(),
    );
    expect(valuesOf(out, 'expect')).toEqual([]);
    expect(valuesOf(out, 'content-length')).toEqual(['5']);
  });

  test('Host is the upstream authority by default, exactly once', () => {
    const out = buildUpstreamRequestHeaders(inbound(['host', 'example.com:3000']), UPSTREAM, policy(false));
    expect(valuesOf(out, 'host')).toEqual([UPSTREAM]);
  });

  test('Host is the client authority with preserveHost, exactly once', () => {
    const out = buildUpstreamRequestHeaders(
      inbound(['host', 'Example.COM:3000'], { authority: 'Example.COM:3000' }),
      UPSTREAM,
      policy(true),
    );
    expect(valuesOf(out, 'host')).toEqual(['Example.COM:3000']);
  });

  describe('X-Forwarded-For', () => {
    test('untrusted peer without a chain: the peer address', () => {
      const out = buildUpstreamRequestHeaders(inbound([]), UPSTREAM, policy());
      expect(valuesOf(out, 'x-forwarded-for')).toEqual([PEER]);
    });

    test('untrusted peer: a forged incoming chain is dropped', () => {
      const out = buildUpstreamRequestHeaders(
        inbound(['x-forwarded-for', '1.2.3.4', 'x-forwarded-for', '5.6.7.8, 9.9.9.9']),
        UPSTREAM,
        policy(),
      );
      expect(valuesOf(out, 'x-forwarded-for')).toEqual([PEER]);
    });

    test('trusted peer: incoming chain + peer', () => {
      const out = buildUpstreamRequestHeaders(
        inbound(['x-forwarded-for', '198.51.100.1'], { remoteAddress: TRUSTED_PEER }),
        UPSTREAM,
        policy(),
      );
      expect(valuesOf(out, 'x-forwarded-for')).toEqual(['198.51.100.1, ' + TRUSTED_PEER]);
    });

    test('trusted peer: multiple incoming lines joined with ", " in order, then the peer', () => {
      const out = buildUpstreamRequestHeaders(
        inbound(['x-forwarded-for', '198.51.100.1, 198.51.100.2', 'accept', '*/*', 'x-forwarded-for', '198.51.100.3'], {
          remoteAddress: TRUSTED_PEER,
        }),
        UPSTREAM,
        policy(),
      );
      expect(valuesOf(out, 'x-forwarded-for')).toEqual([`198.51.100.1, 198.51.100.2, 198.51.100.3, ${TRUSTED_PEER}`]);
    });

    test('trusted peer without a chain: the peer address', () => {
      const out = buildUpstreamRequestHeaders(inbound([], { remoteAddress: TRUSTED_PEER }), UPSTREAM, policy());
      expect(valuesOf(out, 'x-forwarded-for')).toEqual([TRUSTED_PEER]);
    });

    test('trust is asked about the direct peer address', () => {
      const asked: string[] = [];
      buildUpstreamRequestHeaders(inbound(['x-forwarded-for', '1.1.1.1']), UPSTREAM, {
        preserveHost: false,
        isTrustedPeer: (a) => (asked.push(a), false),
      });
      expect(asked).toEqual([PEER]);
    });
  });

  describe('X-Forwarded-Proto and X-Forwarded-Host', () => {
    const forged = ['x-forwarded-proto', 'https', 'x-forwarded-host', 'forged.example'];

    test('untrusted peer: replaced by the scheme and authority', () => {
      const out = buildUpstreamRequestHeaders(inbound(forged), UPSTREAM, policy());
      expect(valuesOf(out, 'x-forwarded-proto')).toEqual(['http']);
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['example.com:3000']);
    });

    test('trusted peer: incoming values kept (once)', () => {
      const out = buildUpstreamRequestHeaders(inbound(forged, { remoteAddress: TRUSTED_PEER }), UPSTREAM, policy());
      expect(valuesOf(out, 'x-forwarded-proto')).toEqual(['https']);
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['forged.example']);
    });

    test('trusted peer with repeated lines: the first is kept', () => {
      const out = buildUpstreamRequestHeaders(
        inbound(['x-forwarded-proto', 'https', 'x-forwarded-proto', 'http', 'x-forwarded-host', 'a.example', 'x-forwarded-host', 'b.example'], {
          remoteAddress: TRUSTED_PEER,
        }),
        UPSTREAM,
        policy(),
      );
      expect(valuesOf(out, 'x-forwarded-proto')).toEqual(['https']);
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['a.example']);
    });

    test('trusted peer without incoming values: scheme and authority', () => {
      const out = buildUpstreamRequestHeaders(
        inbound([], { remoteAddress: TRUSTED_PEER, scheme: 'https', authority: 'secure.example' }),
        UPSTREAM,
        policy(),
      );
      expect(valuesOf(out, 'x-forwarded-proto')).toEqual(['https']);
      expect(valuesOf(out, 'x-forwarded-host')).toEqual(['secure.example']);
    });
  });

  test('repeated end-to-end headers stay separate pairs in their order', () => {
    const out = buildUpstreamRequestHeaders(
      inbound(['cookie', 'a=1', 'x-multi', 'one', 'accept', '*/*', 'cookie', 'b=2', 'x-multi', 'two']),
      UPSTREAM,
      policy(),
    );
    expect(pairs(out).slice(0, 5)).toEqual([
      ['cookie', 'a=1'],
      ['x-multi', 'one'],
      ['accept', '*/*'],
      ['cookie', 'b=2'],
      ['x-multi', 'two'],
    ]);
    expect(out.length).toBe(10 + 8);
  });

  test('does not mutate the inbound header list', () => {
    const headers = ['connection', 'x-foo', 'x-foo', '1', 'host', 'h'];
    const copy = [...headers];
    buildUpstreamRequestHeaders(inbound(headers), UPSTREAM, policy());
    expect(headers).toEqual(copy);
  });
});
