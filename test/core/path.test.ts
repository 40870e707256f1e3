import { isUnderPrefix, removeDotSegments, replacePrefix } from '../../src/core/routing/path';

describe('removeDotSegments', () => {
  test.each<[string, string]>([
    // plain dot segments
    ['/a/./b', '/a/b'],
    ['/./a', '/a'],
    ['/a/b/../c', '/a/c'],
    ['/api/../admin', '/admin'],
    ['/a/b/../../c', '/c'],
    ['/a/./b/./c', '/a/b/c'],
    // percent-encoded spellings, any case
    ['/a/%2e/b', '/a/b'],
    ['/a/%2E/b', '/a/b'],
    ['/api/%2e%2e/admin', '/admin'],
    ['/api/%2E%2e/admin', '/admin'],
    ['/api/%2e%2E/admin', '/admin'],
    ['/api/%2E%2E/admin', '/admin'],
    ['/api/.%2e/admin', '/admin'],
    ['/api/%2e./admin', '/admin'],
    ['/api/.%2E/admin', '/admin'],
    // trailing dot segments leave a trailing slash (RFC 3986 §5.2.4)
    ['/a/b/.', '/a/b/'],
    ['/a/b/..', '/a/'],
    ['/a/b/%2e', '/a/b/'],
    ['/a/b/%2e%2e', '/a/'],
    ['/a/..', '/'],
    ['/.', '/'],
    ['/..', '/'],
    ['/a/b/../..', '/'],
    // `..` above the root stays at the root
    ['/../a', '/a'],
    ['/../../a/b', '/a/b'],
    ['/a/../../../b', '/b'],
    ['/%2e%2e/%2e%2e/etc/passwd', '/etc/passwd'],
    // things that merely look like dots are kept
    ['/a/.hidden', '/a/.hidden'],
    ['/a/...', '/a/...'],
    ['/a/..b', '/a/..b'],
    ['/a%2eb/c', '/a%2eb/c'],
    ['/a/%2e%2e%2e', '/a/%2e%2e%2e'],
    ['/a/%2ex', '/a/%2ex'],
    // empty segments are preserved, only dots are removed
    ['//a/./b', '//a/b'],
    ['/a/./b/', '/a/b/'],
  ])('%s -> %s', (input, expected) => {
    expect(removeDotSegments(input)).toBe(expected);
  });

  test.each(['/', '/api', '/api/users', '/api/users/', '/a//b', '/a%20b/c', '/x.y/z.json', '/a-b_c~d'])(
    'returns a path with no dot segments unchanged: %s',
    (input) => {
      expect(removeDotSegments(input)).toBe(input);
    },
  );
});

describe('isUnderPrefix', () => {
  test.each<[string, string, boolean]>([
    ['/api', '/api', true],
    ['/api/', '/api', true],
    ['/api/x', '/api', true],
    ['/api/x/y', '/api', true],
    ['/apiary', '/api', false],
    ['/api-v2', '/api', false],
    ['/ap', '/api', false],
    ['/', '/api', false],
    ['/other/api', '/api', false],
    ['/API', '/api', false],
    ['/api/v1', '/api/v1', true],
    ['/api/v1/users', '/api/v1', true],
    ['/api/v10', '/api/v1', false],
    ['/api', '/api/v1', false],
    ['/', '/', true],
    ['/anything', '/', true],
    ['/a/b/c', '/', true],
  ])('isUnderPrefix(%s, %s) = %s', (path, prefix, expected) => {
    expect(isUnderPrefix(path, prefix)).toBe(expected);
  });
});

describe('replacePrefix', () => {
  test.each<[string, string, string, string]>([
    // path, prefix, replacement, expected
    ['/api/users', '/api', '/v2', '/v2/users'],
    ['/api/users/42', '/api', '/v2', '/v2/users/42'],
    ['/api', '/api', '/v2', '/v2'],
    ['/api/', '/api', '/v2', '/v2/'],
    ['/api/users/', '/api', '/v2', '/v2/users/'],
    // rewrite to the root strips the prefix
    ['/api/users', '/api', '/', '/users'],
    ['/api', '/api', '/', '/'],
    ['/api/', '/api', '/', '/'],
    ['/api/v1/users', '/api/v1', '/', '/users'],
    ['/api/v1', '/api/v1', '/', '/'],
    // multi-segment replacement
    ['/api/users', '/api', '/internal/v2', '/internal/v2/users'],
    ['/old/a/b', '/old', '/new/x', '/new/x/a/b'],
    // root prefix: everything is prefixed with the replacement
    ['/users', '/', '/v2', '/v2/users'],
    ['/', '/', '/v2', '/v2'],
    ['/a/b', '/', '/', '/a/b'],
    ['/', '/', '/', '/'],
  ])('replacePrefix(%s, %s, %s) = %s', (path, prefix, replacement, expected) => {
    expect(replacePrefix(path, prefix, replacement)).toBe(expected);
  });
});
