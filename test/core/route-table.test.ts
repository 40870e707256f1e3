import { RouteTable } from '../../src/core/routing/route-table';

interface R {
  readonly host: string | null;
  readonly pathPrefix: string;
  readonly key: string;
}

function r(host: string | null, pathPrefix: string): R {
  return { host, pathPrefix, key: (host ?? '') + pathPrefix };
}

function keyOf(table: RouteTable<R>, host: string, path: string): string | null {
  return table.match(host, path)?.key ?? null;
}

describe('RouteTable: host-less prefixes', () => {
  const table = new RouteTable<R>([r(null, '/'), r(null, '/api'), r(null, '/api/v1'), r(null, '/api/v1/admin'), r(null, '/static')]);

  test.each<[string, string | null]>([
    ['/', '/'],
    ['/index.html', '/'],
    ['/api', '/api'],
    ['/api/', '/api'],
    ['/api/users', '/api'],
    ['/apiary', '/'],
    ['/api/v1', '/api/v1'],
    ['/api/v1/users', '/api/v1'],
    ['/api/v10', '/api'],
    ['/api/v1/admin', '/api/v1/admin'],
    ['/api/v1/admin/x', '/api/v1/admin'],
    ['/api/v1/administrator', '/api/v1'],
    ['/static/a.css', '/static'],
  ])('%s -> %s', (path, expected) => {
    expect(keyOf(table, 'any.host', path)).toBe(expected);
  });

  test('longest prefix wins whatever the declaration order', () => {
    const shortFirst = new RouteTable<R>([r(null, '/a'), r(null, '/a/b'), r(null, '/a/b/c')]);
    const longFirst = new RouteTable<R>([r(null, '/a/b/c'), r(null, '/a/b'), r(null, '/a')]);
    for (const t of [shortFirst, longFirst]) {
      expect(keyOf(t, 'h', '/a/b/c/d')).toBe('/a/b/c');
      expect(keyOf(t, 'h', '/a/b/x')).toBe('/a/b');
      expect(keyOf(t, 'h', '/a/x')).toBe('/a');
    }
  });

  test('no match gives null', () => {
    const t = new RouteTable<R>([r(null, '/api'), r('example.com', '/')]);
    expect(t.match('other.com', '/')).toBeNull();
    expect(t.match('other.com', '/apiary')).toBeNull();
    expect(t.match('other.com', '/ap')).toBeNull();
  });

  test('empty table gives null', () => {
    expect(new RouteTable<R>([]).match('example.com', '/')).toBeNull();
  });
});

describe('RouteTable: hosts', () => {
  const table = new RouteTable<R>([
    r(null, '/'),
    r(null, '/api/v1/long/prefix'),
    r('example.com', '/api'),
    r('example.com', '/'),
    r('*.example.com', '/'),
    r('*.example.com', '/api'),
    r('*.api.example.com', '/'),
    r('exact.example.com', '/only'),
    r('shop.test', '/cart'),
  ]);

  test.each<[string, string, string | null]>([
    // host-qualified beats host-less for its host, even when the host-less prefix is longer
    ['example.com', '/api/v1/long/prefix/x', 'example.com/api'],
    ['example.com', '/api/x', 'example.com/api'],
    ['example.com', '/other', 'example.com/'],
    // other hosts get the host-less routes
    ['other.org', '/api/v1/long/prefix/x', '/api/v1/long/prefix'],
    ['other.org', '/api/x', '/'],
    // wildcard matches subdomains at any depth
    ['www.example.com', '/', '*.example.com/'],
    ['www.example.com', '/api/x', '*.example.com/api'],
    ['a.b.example.com', '/api', '*.example.com/api'],
    // wildcard beats host-less even when host-less is longer
    ['www.example.com', '/api/v1/long/prefix/x', '*.example.com/api'],
    // the more specific wildcard wins
    ['v1.api.example.com', '/api/x', '*.api.example.com/'],
    ['x.y.api.example.com', '/', '*.api.example.com/'],
    // but `api.example.com` itself is only under *.example.com
    ['api.example.com', '/api/x', '*.example.com/api'],
    // exact host beats wildcard; its group falls through to the wildcard when no prefix matches
    ['exact.example.com', '/only/x', 'exact.example.com/only'],
    ['exact.example.com', '/elsewhere', '*.example.com/'],
    ['exact.example.com', '/api/z', '*.example.com/api'],
    // host group with no matching prefix falls through to host-less
    ['shop.test', '/cart/1', 'shop.test/cart'],
    ['shop.test', '/checkout', '/'],
    ['shop.test', '/api/v1/long/prefix', '/api/v1/long/prefix'],
    // lookalikes are not the suffix
    ['notexample.com', '/api/x', '/'],
    ['example.com.evil', '/api/x', '/'],
  ])('%s %s -> %s', (host, path, expected) => {
    expect(keyOf(table, host, path)).toBe(expected);
  });

  test('wildcard does not match the bare domain', () => {
    const t = new RouteTable<R>([r('*.example.com', '/'), r(null, '/fallback')]);
    expect(keyOf(t, 'example.com', '/')).toBeNull();
    expect(keyOf(t, 'example.com', '/fallback/x')).toBe('/fallback');
    expect(keyOf(t, 'www.example.com', '/fallback/x')).toBe('*.example.com/');
    // neither a lookalike nor `.example.com` (empty label) is a subdomain
    expect(keyOf(t, 'xexample.com', '/')).toBeNull();
    expect(keyOf(t, '.example.com', '/')).toBeNull();
  });

  test('wildcard specificity does not depend on declaration order', () => {
    const orders = [
      [r('*.example.com', '/'), r('*.api.example.com', '/')],
      [r('*.api.example.com', '/'), r('*.example.com', '/')],
    ];
    for (const routes of orders) {
      const t = new RouteTable<R>(routes);
      expect(keyOf(t, 'x.api.example.com', '/a')).toBe('*.api.example.com/');
      expect(keyOf(t, 'x.www.example.com', '/a')).toBe('*.example.com/');
    }
  });

  test('more specific wildcard group with no matching prefix falls through to the less specific one', () => {
    const t = new RouteTable<R>([r('*.api.example.com', '/admin'), r('*.example.com', '/')]);
    expect(keyOf(t, 'v1.api.example.com', '/admin/x')).toBe('*.api.example.com/admin');
    expect(keyOf(t, 'v1.api.example.com', '/public')).toBe('*.example.com/');
  });

  test('returns the very route object given', () => {
    const route = r('example.com', '/x');
    const t = new RouteTable<R>([route]);
    expect(t.match('example.com', '/x')).toBe(route);
  });
});
