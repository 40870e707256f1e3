import { parseByteRange } from '../../../src/core/static/byte-range';
import { acceptedCodings } from '../../../src/core/static/content-coding';
import { contentTypeFor } from '../../../src/core/static/content-type';
import { isWithinRoot, joinUnderRoot, segmentsBelowRoot } from '../../../src/core/static/containment';
import { parseHttpDate } from '../../../src/core/static/http-date';
import { pathBelowPrefix, resolveRequestPath } from '../../../src/core/static/request-path';
import { ifRangeHolds, isNotModified, preconditionsHold, validatorsFor } from '../../../src/core/static/validators';

describe('resolveRequestPath', () => {
  it.each([
    ['', [], false],
    ['/', [], true],
    ['/a.txt', ['a.txt'], false],
    ['/dir/', ['dir'], true],
    ['/a//b///c.css', ['a', 'b', 'c.css'], false],
    ['/caf%C3%A9.txt', ['café.txt'], false],
    ['/with%20space', ['with space'], false],
    // Decoded exactly once: the double-encoded dots are a literal file name.
    ['/%252e%252e/x', ['%2e%2e', 'x'], false],
    ['/%252f', ['%2f'], false],
    ['/a..b', ['a..b'], false],
  ])('%j → %j', (encoded, segments, directoryForm) => {
    expect(resolveRequestPath(encoded, false)).toEqual({ ok: true, segments, directoryForm });
  });

  it.each([
    ['/../etc/passwd', 'dot_segment'],
    ['/a/../../etc/passwd', 'dot_segment'],
    ['/%2e%2e/etc/passwd', 'dot_segment'],
    ['/%2E%2E/etc/passwd', 'dot_segment'],
    ['/.%2e/x', 'dot_segment'],
    ['/./x', 'dot_segment'],
    ['/a%2f..%2f..%2fetc', 'hidden_separator'],
    ['/a%2Fb', 'hidden_separator'],
    ['/a%5cb', 'hidden_separator'],
    ['/..\\..\\etc', 'hidden_separator'],
    ['/a\\b', 'hidden_separator'],
    ['/a%00.txt', 'malformed'],
    ['/a\0.txt', 'malformed'],
    ['/%zz', 'malformed'],
    ['/%C3', 'malformed'],
    ['/.env', 'dotfile'],
    ['/.git/config', 'dotfile'],
    ['/a/.hidden/b', 'dotfile'],
    ['/%2eenv', 'dotfile'],
  ])('refuses %j (%s)', (encoded, refusal) => {
    expect(resolveRequestPath(encoded, false)).toEqual({ ok: false, refusal });
  });

  it('serves dotfiles only when allowed, and still never . or ..', () => {
    expect(resolveRequestPath('/.well-known/x', true)).toEqual({ ok: true, segments: ['.well-known', 'x'], directoryForm: false });
    expect(resolveRequestPath('/%2e%2e/x', true)).toEqual({ ok: false, refusal: 'dot_segment' });
  });

  it.each([
    ['/static', '/static', ''],
    ['/static/a/b', '/static', '/a/b'],
    ['/static/', '/static', '/'],
    ['/a/b', '/', '/a/b'],
  ])('pathBelowPrefix(%j, %j) = %j', (path, prefix, below) => {
    expect(pathBelowPrefix(path, prefix)).toBe(below);
  });
});

describe('containment', () => {
  it.each([
    ['/srv/www', '/srv/www', true],
    ['/srv/www', '/srv/www/a.txt', true],
    ['/srv/www', '/srv/www-secret/a.txt', false],
    ['/srv/www', '/srv/wwwa', false],
    ['/srv/www', '/etc/passwd', false],
    ['/srv/www', '/srv', false],
    ['/', '/anything', true],
  ])('isWithinRoot(%j, %j) = %j', (root, path, within) => {
    expect(isWithinRoot(root, path)).toBe(within);
  });

  it('joins and splits below the root', () => {
    expect(joinUnderRoot('/srv/www', [])).toBe('/srv/www');
    expect(joinUnderRoot('/srv/www', ['a', 'b.txt'])).toBe('/srv/www/a/b.txt');
    expect(joinUnderRoot('/', ['a'])).toBe('/a');
    expect(segmentsBelowRoot('/srv/www', '/srv/www/.git/config')).toEqual(['.git', 'config']);
    expect(segmentsBelowRoot('/srv/www', '/srv/www')).toEqual([]);
    expect(segmentsBelowRoot('/', '/a/b')).toEqual(['a', 'b']);
  });
});

/** The wall time conditional dates are judged at (a Clock reading in production). */
const NOW_MS = Date.UTC(2026, 11, 3);

describe('parseHttpDate', () => {
  const expected = Date.UTC(1994, 10, 6, 8, 49, 37);
  it.each([
    ['Sun, 06 Nov 1994 08:49:37 GMT', expected],
    ['Sunday, 06-Nov-94 08:49:37 GMT', expected],
    ['Sun Nov  6 08:49:37 1994', expected],
    ['  Sun, 06 Nov 1994 08:49:37 GMT ', expected],
    ['Sun, 06 Nov 1994 08:49:37 CET', null],
    ['yesterday', null],
    ['Sun, 06 Foo 1994 08:49:37 GMT', null],
    ['Sun, 06 Nov 1994 25:49:37 GMT', null],
    ['', null],
  ])('%j → %j', (text, ms) => {
    expect(parseHttpDate(text, NOW_MS)).toBe(ms);
  });

  it('places a two-digit year by the clock it is given, not the machine\'s', () => {
    // RFC 9110: a two-digit year more than 50 years ahead of now is in the previous century.
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2030, 0, 1))).toBe(Date.UTC(1994, 10, 6, 8, 49, 37));
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', Date.UTC(2060, 0, 1))).toBe(Date.UTC(2094, 10, 6, 8, 49, 37));
  });
});

describe('conditional requests', () => {
  const mtime = Date.UTC(2024, 0, 2, 3, 4, 5, 678);
  const validators = validatorsFor(1234, mtime, null);
  const lastModified = 'Tue, 02 Jan 2024 03:04:05 GMT';

  it('builds a strong tag from mtime and size, a coded variant gets its own', () => {
    expect(validators.etag).toBe(`"${Math.floor(mtime).toString(16)}-4d2"`);
    expect(validators.lastModified).toBe(lastModified);
    expect(validatorsFor(1234, mtime, 'br').etag).toBe(`"${Math.floor(mtime).toString(16)}-4d2-br"`);
    expect(validatorsFor(1235, mtime, null).etag).not.toBe(validators.etag);
  });

  it.each([
    ['matching tag', validators.etag, null, true],
    ['weak form of the tag', 'W/' + validators.etag, null, true],
    ['tag in a list', `"other", ${validators.etag}`, null, true],
    ['star', '*', null, true],
    ['other tag', '"other"', null, false],
    // If-None-Match takes precedence: a non-matching tag wins over a date that would match.
    ['other tag with a matching date', '"other"', lastModified, false],
    ['matching tag with an old date', validators.etag, 'Mon, 01 Jan 2024 00:00:00 GMT', true],
    ['date equal to Last-Modified', null, lastModified, true],
    ['later date', null, 'Wed, 03 Jan 2024 00:00:00 GMT', true],
    ['earlier date', null, 'Tue, 02 Jan 2024 03:04:04 GMT', false],
    ['invalid date', null, 'not a date', false],
    ['no condition', null, null, false],
  ])('%s → not modified: %j', (_name, ifNoneMatch, ifModifiedSince, notModified) => {
    expect(isNotModified(ifNoneMatch, ifModifiedSince, validators, NOW_MS)).toBe(notModified);
  });

  it.each([
    ['no precondition', null, null, true],
    ['If-Match with the tag', validators.etag, null, true],
    ['If-Match with the tag in a list', `"other", ${validators.etag}`, null, true],
    ['If-Match star', '*', null, true],
    // Strong comparison: a weak tag never satisfies If-Match.
    ['If-Match with the weak form', 'W/' + validators.etag, null, false],
    ['If-Match with another tag', '"other"', null, false],
    // If-Match decides when present, whatever the date says.
    ['If-Match with the tag and an old date', validators.etag, 'Mon, 01 Jan 2024 00:00:00 GMT', true],
    ['If-Unmodified-Since equal to Last-Modified', null, lastModified, true],
    ['If-Unmodified-Since later', null, 'Wed, 03 Jan 2024 00:00:00 GMT', true],
    ['If-Unmodified-Since earlier', null, 'Tue, 02 Jan 2024 03:04:04 GMT', false],
    ['If-Unmodified-Since invalid (ignored)', null, 'not a date', true],
  ])('%s → preconditions hold: %j', (_name, ifMatch, ifUnmodifiedSince, holds) => {
    expect(preconditionsHold(ifMatch, ifUnmodifiedSince, validators, NOW_MS)).toBe(holds);
  });

  it.each([
    [null, true],
    [validators.etag, true],
    ['W/' + validators.etag, false],
    ['"other"', false],
    [lastModified, true],
    ['Wed, 03 Jan 2024 00:00:00 GMT', false],
    ['garbage', false],
  ])('If-Range %j holds: %j', (ifRange, holds) => {
    expect(ifRangeHolds(ifRange, validators, NOW_MS)).toBe(holds);
  });
});

describe('parseByteRange', () => {
  it.each([
    [null, 100, { kind: 'whole' }],
    ['bytes=0-9', 100, { kind: 'part', start: 0, end: 9 }],
    ['bytes=10-', 100, { kind: 'part', start: 10, end: 99 }],
    ['bytes=-10', 100, { kind: 'part', start: 90, end: 99 }],
    ['bytes=-1000', 100, { kind: 'part', start: 0, end: 99 }],
    ['bytes=90-1000', 100, { kind: 'part', start: 90, end: 99 }],
    ['bytes=99-99', 100, { kind: 'part', start: 99, end: 99 }],
    ['Bytes = 5-6', 100, { kind: 'part', start: 5, end: 6 }],
    ['bytes=0-0,', 100, { kind: 'part', start: 0, end: 0 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=500-600', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', 100, { kind: 'unsatisfiable' }],
    // Several ranges: the whole file with 200 (no multipart).
    ['bytes=0-1,5-6', 100, { kind: 'whole' }],
    ['bytes=0-1, 500-600', 100, { kind: 'whole' }],
    // Malformed or other units: ignored.
    ['bytes=9-1', 100, { kind: 'whole' }],
    ['bytes=-', 100, { kind: 'whole' }],
    ['bytes=a-b', 100, { kind: 'whole' }],
    ['bytes=1-2-3', 100, { kind: 'whole' }],
    ['items=0-1', 100, { kind: 'whole' }],
    ['bytes 0-1', 100, { kind: 'whole' }],
    ['bytes=', 100, { kind: 'whole' }],
    // An empty file has no byte to point at: sent whole.
    ['bytes=0-1', 0, { kind: 'whole' }],
  ])('%j of %d bytes → %j', (header, size, expected) => {
    expect(parseByteRange(header, size)).toEqual(expected);
  });
});

describe('acceptedCodings', () => {
  it.each([
    [null, []],
    ['', []],
    ['gzip', ['gzip']],
    ['br', ['br']],
    ['gzip, deflate, br', ['br', 'gzip']],
    ['gzip;q=1, br;q=0.5', ['gzip', 'br']],
    ['br;q=0.5, gzip;q=0.5', ['br', 'gzip']],
    ['br;q=0, gzip', ['gzip']],
    ['BR;Q=0, GZIP', ['gzip']],
    ['*', ['br', 'gzip']],
    ['*;q=0.1, gzip;q=0', ['br']],
    ['*, br;q=0', ['gzip']],
    ['x-gzip', ['gzip']],
    ['identity', []],
    ['deflate', []],
    ['br;q=abc', []],
  ])('%j → %j', (header, codings) => {
    expect(acceptedCodings(header)).toEqual(codings);
  });
});

describe('contentTypeFor', () => {
  it.each([
    ['index.html', 'text/html; charset=utf-8'],
    ['app.js', 'text/javascript; charset=utf-8'],
    ['style.CSS', 'text/css; charset=utf-8'],
    ['data.json', 'application/json; charset=utf-8'],
    ['notes.txt', 'text/plain; charset=utf-8'],
    ['logo.png', 'image/png'],
    ['icon.svg', 'image/svg+xml'],
    ['module.wasm', 'application/wasm'],
    ['archive.tar.gz', 'application/gzip'],
    ['README', 'application/octet-stream'],
    ['.env', 'application/octet-stream'],
    ['file.unknownext', 'application/octet-stream'],
  ])('%s → %s', (name, type) => {
    expect(contentTypeFor(name)).toBe(type);
  });
});
