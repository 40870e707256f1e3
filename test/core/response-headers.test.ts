import { buildClientResponseHead } from '../../src/core/forwarding/response-headers';

describe('buildClientResponseHead', () => {
  test('several set-cookie headers stay intact as separate pairs, in order', () => {
    const head = buildClientResponseHead([
      'set-cookie', 'a=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
      'content-type', 'text/html',
      'set-cookie', 'b=2; HttpOnly',
      'set-cookie', 'c=3, d=4',
    ]);
    expect(head.headers).toEqual([
      'set-cookie', 'a=1; Path=/; Expires=Wed, 21 Oct 2015 07:28:00 GMT',
      'content-type', 'text/html',
      'set-cookie', 'b=2; HttpOnly',
      'set-cookie', 'c=3, d=4',
    ]);
    expect(head.contentLength).toBeNull();
  });

  test('hop-by-hop headers and Connection-nominated ones are removed', () => {
    const head = buildClientResponseHead([
      'connection', 'keep-alive, X-Internal',
      'keep-alive', 'timeout=5',
      'proxy-connection', 'keep-alive',
      'te', 'trailers',
      'trailer', 'x-checksum',
      'transfer-encoding', 'chunked',
      'upgrade', 'h2c',
      'x-internal', 'secret',
      'x-public', 'ok',
      'cache-control', 'no-store',
    ]);
    expect(head.headers).toEqual(['x-public', 'ok', 'cache-control', 'no-store']);
    expect(head.contentLength).toBeNull();
  });

  test('Date is removed (the adapter stamps its own)', () => {
    const head = buildClientResponseHead(['date', 'Mon, 01 Jan 2024 00:00:00 GMT', 'etag', '"x"']);
    expect(head.headers).toEqual(['etag', '"x"']);
  });

  test.each<[string, number | null]>([
    ['0', 0],
    ['5', 5],
    ['1234567', 1234567],
    ['007', 7],
    [String(Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER],
    // malformed
    ['', null],
    ['abc', null],
    ['-1', null],
    ['+5', null],
    ['1.5', null],
    ['1e3', null],
    ['0x10', null],
    [' 5', null],
    ['5 ', null],
    ['5, 5', null],
    // huge
    ['9007199254740992', null],
    ['99999999999999999999999', null],
    ['1'.repeat(400), null],
  ])('content-length %j -> %p, and is removed from the list', (value, expected) => {
    const head = buildClientResponseHead(['content-type', 'text/plain', 'content-length', value, 'x-after', 'y']);
    expect(head.contentLength).toBe(expected);
    expect(head.headers).toEqual(['content-type', 'text/plain', 'x-after', 'y']);
  });

  test.each<[string[], number | null]>([
    [['5', '5'], 5],
    [['5', '7'], null],
    [['5', '7', '7'], null],
    [['abc', '5'], null],
    [['5', 'abc'], null],
  ])('repeated content-length lines %j -> %p (they must agree)', (values, expected) => {
    const head = buildClientResponseHead(values.flatMap((v) => ['content-length', v]));
    expect(head.contentLength).toBe(expected);
    expect(head.headers).toEqual([]);
  });

  test.each([
    [['transfer-encoding', 'chunked', 'content-length', '10']],
    [['content-length', '10', 'transfer-encoding', 'chunked']],
  ])('Transfer-Encoding overrides Content-Length: unknown length (%j)', (upstream) => {
    expect(buildClientResponseHead(upstream)).toEqual({ headers: [], contentLength: null });
  });

  test('no headers: empty head', () => {
    expect(buildClientResponseHead([])).toEqual({ headers: [], contentLength: null });
  });
});
