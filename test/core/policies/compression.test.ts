import { ZlibResponseCompressor } from '../../../src/adapters/compression/zlib-compressor';
import { compressedHead, CompressionPolicy } from '../../../src/core/policies/compression';

const policy = new CompressionPolicy({ algorithms: ['br', 'gzip'], minBytes: 1024, types: ['text/*', 'application/json'] });

describe('CompressionPolicy', () => {
  it('qualifies listed types with a body of unknown or large enough length', () => {
    expect(policy.qualifies(200, ['content-type', 'text/html; charset=utf-8'], null)).toBe(true);
    expect(policy.qualifies(404, ['content-type', 'Application/JSON'], 2048)).toBe(true);
  });

  it.each([
    ['204', 204, ['content-type', 'text/plain'], null],
    ['206', 206, ['content-type', 'text/plain'], null],
    ['304', 304, ['content-type', 'text/plain'], null],
    ['small', 200, ['content-type', 'text/plain'], 1023],
    ['encoded', 200, ['content-type', 'text/plain', 'content-encoding', 'gzip'], null],
    ['range', 200, ['content-type', 'text/plain', 'content-range', 'bytes 0-1/2'], null],
    ['no-transform', 200, ['content-type', 'text/plain', 'cache-control', 'max-age=60, No-Transform'], null],
    ['other type', 200, ['content-type', 'image/png'], null],
    ['no type', 200, [], null],
  ] as const)('does not qualify %s', (_what, status, headers, length) => {
    expect(policy.qualifies(status, headers, length)).toBe(false);
  });

  it('builds the compressed head: coding, Vary, weak ETag, no length', () => {
    expect(compressedHead(['content-type', 'text/plain', 'etag', '"a"', 'content-length', '9'], 'gzip')).toEqual([
      'content-type', 'text/plain', 'etag', 'W/"a"', 'content-encoding', 'gzip', 'vary', 'accept-encoding',
    ]);
    expect(compressedHead(['etag', 'W/"a"'], 'br')).toEqual(['etag', 'W/"a"', 'content-encoding', 'br', 'vary', 'accept-encoding']);
  });
});

describe('ZlibResponseCompressor.negotiate', () => {
  const compressor = new ZlibResponseCompressor();
  it.each([
    [null, null],
    ['', null],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['gzip;q=1, br;q=0.9', 'gzip'],
    ['*;q=0.5, gzip;q=0', 'br'],
    ['identity', null],
    ['br;q=0, gzip;q=0', null],
    ['deflate', null],
  ])('Accept-Encoding %p picks %p from [br, gzip]', (accept, expected) => {
    expect(compressor.negotiate(accept, ['br', 'gzip'])).toBe(expected);
  });
});
