import fc from 'fast-check';
import { isUnderPrefix, removeDotSegments, replacePrefix } from '../../src/core/routing/path';
import { RouteTable } from '../../src/core/routing/route-table';
import { bounded } from './seed';

/** Segments a hostile path is made of: plain names and every spelling of `.` and `..`. */
const segment = fc.oneof(
  fc.constantFrom('.', '..', '%2e', '%2E', '%2e%2e', '.%2e', '%2E.', '%2e%2E', '', 'a', 'b', 'api', 'admin', '...', '.a', 'a.'),
  fc.stringMatching(/^[a-z0-9_-]{1,6}$/),
);
const requestPath = fc.array(segment, { maxLength: 10 }).map((segments) => '/' + segments.join('/'));
/** A normalised route prefix, as the config loader produces them. */
const prefix = fc.array(fc.stringMatching(/^[a-z0-9]{1,5}$/), { maxLength: 3 }).map((segments) => '/' + segments.join('/'));

/**
 * RFC 3986 §5.2.4 remove_dot_segments, written as the RFC states it (an input buffer consumed
 * from the left), after decoding `%2e` to `.` as RFC 3986 §6.2.2.2 normalisation and WHATWG
 * URL parsers do: how a conforming upstream resolves the path. (Node 20's own URL parser is not
 * used as the oracle: it leaves `/a/.b/..` as it is.)
 */
function asUpstreamResolves(path: string): string {
  let input = decodeDots(path);
  let output = '';
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3);
    else if (input.startsWith('./')) input = input.slice(2);
    else if (input.startsWith('/./')) input = input.slice(2);
    else if (input === '/.') input = '/';
    else if (input.startsWith('/../') || input === '/..') {
      input = '/' + input.slice(input === '/..' ? 3 : 4);
      output = output.slice(0, Math.max(0, output.lastIndexOf('/')));
    } else if (input === '.' || input === '..') input = '';
    else {
      const next = input.indexOf('/', 1);
      const end = next === -1 ? input.length : next;
      output += input.slice(0, end);
      input = input.slice(end);
    }
  }
  return output;
}

function decodeDots(path: string): string {
  return path.replace(/%2e/gi, '.');
}

describe('path normalisation (properties)', () => {
  it('resolves dot segments exactly as an RFC 3986 upstream will', () => {
    fc.assert(
      fc.property(requestPath, (path) => {
        expect(decodeDots(removeDotSegments(path))).toBe(asUpstreamResolves(path));
      }),
      bounded(1000),
    );
  });

  it('is idempotent and leaves no dot segment behind', () => {
    fc.assert(
      fc.property(requestPath, (path) => {
        const once = removeDotSegments(path);
        expect(removeDotSegments(once)).toBe(once);
        expect(once.startsWith('/')).toBe(true);
        for (const part of once.split('/')) expect(['.', '..', '%2e', '%2e%2e', '.%2e', '%2e.']).not.toContain(part.toLowerCase());
      }),
      bounded(1000),
    );
  });

  it('a path routed under a prefix and rewritten never leaves the replacement prefix upstream', () => {
    fc.assert(
      fc.property(prefix, requestPath, prefix, (routePrefix, tail, replacement) => {
        const path = removeDotSegments(routePrefix === '/' ? tail : routePrefix + tail);
        fc.pre(isUnderPrefix(path, routePrefix));
        const rewritten = replacePrefix(path, routePrefix, replacement);
        // The upstream resolves the rewritten path to itself: nothing left to climb out with.
        expect(asUpstreamResolves(rewritten)).toBe(decodeDots(rewritten));
        expect(isUnderPrefix(rewritten, replacement)).toBe(true);
      }),
      bounded(1000),
    );
  });

  it('prefix matching is on segment boundaries only', () => {
    fc.assert(
      fc.property(requestPath.map(removeDotSegments), prefix, (path, routePrefix) => {
        const expected = routePrefix === '/' || path === routePrefix || path.startsWith(routePrefix + '/');
        expect(isUnderPrefix(path, routePrefix)).toBe(expected);
      }),
      bounded(1000),
    );
  });
});

describe('route matching (properties)', () => {
  it('picks the longest matching prefix, and never a route the path is not under', () => {
    const routes = fc.uniqueArray(prefix, { minLength: 1, maxLength: 8 }).map((prefixes) => prefixes.map((pathPrefix) => ({ host: null, pathPrefix })));
    fc.assert(
      fc.property(routes, requestPath, (declared, raw) => {
        const path = removeDotSegments(raw);
        const hit = new RouteTable(declared).match('any.test', path);
        const candidates = declared.filter((route) => isUnderPrefix(path, route.pathPrefix));
        if (candidates.length === 0) {
          expect(hit).toBeNull();
        } else {
          expect(hit).not.toBeNull();
          expect(isUnderPrefix(path, hit!.pathPrefix)).toBe(true);
          expect(hit!.pathPrefix.length).toBe(Math.max(...candidates.map((route) => route.pathPrefix.length)));
        }
      }),
      bounded(500),
    );
  });
});
