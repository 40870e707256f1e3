import type { BalanceStrategy, HashKeySpec } from '../../../src/config/model';
import { hashKeyOf } from '../../../src/core/balancing/hash-key';

const ip: HashKeySpec = { by: 'ip', name: null };
const header = (name: string): HashKeySpec => ({ by: 'header', name });
const cookie = (name: string): HashKeySpec => ({ by: 'cookie', name });
const request = (headers: string[], remoteAddress = '203.0.113.9') => ({ remoteAddress, headers });

describe('hashKeyOf', () => {
  test.each<[string, HashKeySpec, BalanceStrategy, string[], string | null]>([
    // ip_hash always uses the address, whatever the spec says
    ['ip_hash, ip spec', ip, 'ip_hash', [], '203.0.113.9'],
    ['ip_hash ignores a header spec', header('x-user'), 'ip_hash', ['x-user', 'u1'], '203.0.113.9'],
    ['ip_hash ignores a cookie spec', cookie('sid'), 'ip_hash', ['cookie', 'sid=1'], '203.0.113.9'],
    // consistent_hash by ip
    ['by ip', ip, 'consistent_hash', ['x-forwarded-for', '1.1.1.1'], '203.0.113.9'],
    // by header
    ['header present', header('x-user'), 'consistent_hash', ['host', 'h', 'x-user', 'alice'], 'alice'],
    ['first of repeated headers', header('x-user'), 'consistent_hash', ['x-user', 'alice', 'x-user', 'bob'], 'alice'],
    ['header absent', header('x-user'), 'consistent_hash', ['host', 'h'], null],
    ['header empty', header('x-user'), 'consistent_hash', ['x-user', ''], null],
    ['name match is exact', header('x-user'), 'consistent_hash', ['x-user-id', 'a', 'x-use', 'b'], null],
    ['a value equal to the name is not a name', header('x-user'), 'consistent_hash', ['a', 'x-user', 'b', 'c'], null],
    ['value kept verbatim', header('x-tenant'), 'consistent_hash', ['x-tenant', 'Acme Corp; eu'], 'Acme Corp; eu'],
    ['no headers', header('x-user'), 'consistent_hash', [], null],
    // by cookie
    ['sole cookie', cookie('sid'), 'consistent_hash', ['cookie', 'sid=abc'], 'abc'],
    ['among several', cookie('sid'), 'consistent_hash', ['cookie', 'a=1; sid=abc; b=2'], 'abc'],
    ['last in the list', cookie('sid'), 'consistent_hash', ['cookie', 'a=1; b=2; sid=xyz'], 'xyz'],
    ['spaces trimmed', cookie('sid'), 'consistent_hash', ['cookie', '  a=1 ;   sid =  abc  ; b=2'], 'abc'],
    ['no space after ;', cookie('sid'), 'consistent_hash', ['cookie', 'a=1;sid=abc'], 'abc'],
    ['in a second cookie header', cookie('sid'), 'consistent_hash', ['cookie', 'a=1', 'accept', '*/*', 'cookie', 'sid=two'], 'two'],
    ['first header wins', cookie('sid'), 'consistent_hash', ['cookie', 'sid=one', 'cookie', 'sid=two'], 'one'],
    ['first occurrence in a header wins', cookie('sid'), 'consistent_hash', ['cookie', 'sid=one; sid=two'], 'one'],
    ['exact name: prefix', cookie('sid'), 'consistent_hash', ['cookie', 'sid2=x; xsid=y'], null],
    ['exact name: case', cookie('sid'), 'consistent_hash', ['cookie', 'SID=x'], null],
    ['value with =', cookie('tok'), 'consistent_hash', ['cookie', 'tok=a=b=='], 'a=b=='],
    ['quoted value kept', cookie('sid'), 'consistent_hash', ['cookie', 'sid="q"'], '"q"'],
    ['empty value', cookie('sid'), 'consistent_hash', ['cookie', 'sid=; a=1'], null],
    ['segment without =', cookie('sid'), 'consistent_hash', ['cookie', 'sid; a=1'], null],
    ['empty segments', cookie('sid'), 'consistent_hash', ['cookie', ';; ;sid=v;;'], 'v'],
    ['cookie absent', cookie('sid'), 'consistent_hash', ['cookie', 'a=1; b=2'], null],
    ['no cookie header', cookie('sid'), 'consistent_hash', ['set-cookie', 'sid=1'], null],
    ['empty cookie header', cookie('sid'), 'consistent_hash', ['cookie', ''], null],
    // other strategies have no key
    ['round_robin', ip, 'round_robin', [], null],
    ['weighted_round_robin', ip, 'weighted_round_robin', [], null],
    ['least_connections', header('x-user'), 'least_connections', ['x-user', 'a'], null],
    ['random', ip, 'random', [], null],
    ['power_of_two', cookie('sid'), 'power_of_two', ['cookie', 'sid=1'], null],
  ])('%s', (_, spec, strategy, headers, expected) => {
    expect(hashKeyOf(spec, strategy, request(headers))).toBe(expected);
  });

  test('IPv6 addresses are used as given', () => {
    expect(hashKeyOf(ip, 'consistent_hash', request([], '2001:db8::1'))).toBe('2001:db8::1');
  });

  test('a header or cookie spec without a name gives no key', () => {
    expect(hashKeyOf({ by: 'header', name: null }, 'consistent_hash', request(['x', 'y']))).toBeNull();
    expect(hashKeyOf({ by: 'cookie', name: null }, 'consistent_hash', request(['cookie', 'a=1']))).toBeNull();
  });
});
