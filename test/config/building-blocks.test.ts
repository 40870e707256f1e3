import { LineCounter, parseDocument } from 'yaml';
import { displayPath, fromPointer, toPointer } from '../../src/config/config-path';
import { closestMatch, editDistance } from '../../src/config/did-you-mean';
import { formatListenAddress, isListenAddressProblem, parseListenAddress } from '../../src/config/listen-address';
import { isRouteKeyProblem, parseRouteKey } from '../../src/config/route-key';
import { backendUrlKey, backendUrlProblem, redirectTargetProblem } from '../../src/config/url-rules';
import { YamlPositions } from '../../src/config/yaml-positions';

describe('config paths', () => {
  it('round-trips JSON pointers whose keys contain / and ~', () => {
    const path = ['routes', '/api/v1', 'a~b'];
    expect(toPointer(path)).toBe('/routes/~1api~1v1/a~0b');
    expect(fromPointer(toPointer(path))).toEqual(path);
    expect(toPointer([])).toBe('');
    expect(fromPointer('')).toEqual([]);
  });

  it('displays paths readably', () => {
    expect(displayPath(['routes', '/api', 'targets', '1'])).toBe('routes["/api"].targets[1]');
    expect(displayPath(['limits', 'max_headers'])).toBe('limits.max_headers');
    expect(displayPath([])).toBe('(document)');
  });
});

describe('did you mean', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('tagret', 'target')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it.each([
    ['listen_adr', 'listen_addr'],
    ['listen-addr', 'listen_addr'],
    ['Routes', 'routes'],
    ['timeout', 'timeout_secs'],
    ['healthcheck', 'health_check'],
  ])('%s -> %s', (typo, expected) => {
    expect(closestMatch(typo, ['listen_addr', 'routes', 'timeout_secs', 'health_check', 'tls'])).toBe(expected);
  });

  it('stays quiet when nothing is close', () => {
    expect(closestMatch('colour', ['listen_addr', 'routes'])).toBeNull();
    expect(closestMatch('', ['a'])).toBeNull();
  });
});

describe('listen addresses', () => {
  it.each([
    ['127.0.0.1:3000', '127.0.0.1', 3000],
    ['0.0.0.0:65535', '0.0.0.0', 65535],
    ['127.0.0.1:0', '127.0.0.1', 0],
    ['[::]:8080', '::', 8080],
    ['[::1]:1', '::1', 1],
  ])('%s parses', (text, host, port) => {
    expect(parseListenAddress(text)).toEqual({ host, port });
  });

  it.each(['127.0.0.1', '127.0.0.1:', '127.0.0.1:http', ':3000', '[::1]', '[nope]:80', 'example.com:80', '1.2.3.4:-1', '1.2.3.4:065536'])(
    '%s is refused',
    (text) => {
      expect(isListenAddressProblem(parseListenAddress(text))).toBe(true);
    },
  );

  it('formats IPv6 with brackets again', () => {
    expect(formatListenAddress({ host: '::1', port: 80 })).toBe('[::1]:80');
    expect(formatListenAddress({ host: '10.0.0.1', port: 80 })).toBe('10.0.0.1:80');
  });
});

describe('route keys', () => {
  it('splits host and path', () => {
    expect(parseRouteKey('Shop.Example.com/cart/')).toEqual({ host: 'shop.example.com', pathPrefix: '/cart' });
    expect(parseRouteKey('/')).toEqual({ host: null, pathPrefix: '/' });
  });

  it.each(['', 'api', '/a b', '/a?b', '/a#b', 'a.com:80/', '*/x', 'a.*.com/', '-a.com/', 'a..com/'])('%j is refused', (key) => {
    expect(isRouteKeyProblem(parseRouteKey(key))).toBe(true);
  });
});

describe('URL rules', () => {
  it('accepts http and https backends only', () => {
    expect(backendUrlProblem('http://a')).toBeNull();
    expect(backendUrlProblem('https://a:8443/base')).toBeNull();
    expect(backendUrlProblem('ws://a')?.message).toMatch(/only http and https/);
    expect(backendUrlProblem('localhost:8080')?.message).toMatch(/not an absolute URL/);
    expect(backendUrlProblem('http://')?.message).toMatch(/not a valid URL/);
  });

  it('compares backend URLs without one trailing /', () => {
    expect(backendUrlKey('http://a:8080/')).toBe('http://a:8080');
    expect(backendUrlKey('http://a:8080')).toBe('http://a:8080');
    expect(backendUrlKey('http://a/base/')).toBe('http://a/base');
    expect(backendUrlKey('http://a//')).toBe('http://a/');
  });

  it('lets redirects go to paths or absolute URLs', () => {
    expect(redirectTargetProblem('/new')).toBeNull();
    expect(redirectTargetProblem('https://example.com/x')).toBeNull();
    expect(redirectTargetProblem('//example.com')).not.toBeNull();
    expect(redirectTargetProblem('/a\nb')).not.toBeNull();
    expect(redirectTargetProblem('mailto:x@example.com')).not.toBeNull();
  });
});

describe('YAML positions', () => {
  const text = ['a: 1', 'b:', '  c: [x, y]', '  "d/e": {f: 2}', 'g:', ''].join('\n');
  const lineCounter = new LineCounter();
  const positions = new YamlPositions(parseDocument(text, { lineCounter }), lineCounter);

  it('finds values and keys', () => {
    expect(positions.locate(['a'])).toEqual({ line: 1, col: 4 });
    expect(positions.locate(['a'], 'key')).toEqual({ line: 1, col: 1 });
    expect(positions.locate(['b', 'c', '1'])).toEqual({ line: 3, col: 10 });
    expect(positions.locate(['b', 'd/e', 'f'])).toEqual({ line: 4, col: 14 });
  });

  it('falls back to the deepest existing ancestor for missing fields', () => {
    expect(positions.locate(['b', 'missing', 'deeper'])).toEqual({ line: 3, col: 3 });
    expect(positions.locate(['b', 'c', '9'])).toEqual({ line: 3, col: 6 });
  });

  it('points at the key when a field has no value', () => {
    expect(positions.locate(['g'])).toEqual({ line: 5, col: 3 });
    expect(positions.locate(['g'], 'key')).toEqual({ line: 5, col: 1 });
  });
});
