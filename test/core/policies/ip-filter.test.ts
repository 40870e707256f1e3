import { trustPredicateFor } from '../../../src/adapters/system/proxy-addr-trust';
import { IpFilter } from '../../../src/core/policies/ip-filter';
import type { InboundRequest } from '../../../src/ports/http-server';

function request(remoteAddress: string, forwardedFor?: string): InboundRequest {
  return {
    method: 'GET',
    path: '/',
    query: '',
    hostname: 'example.test',
    authority: 'example.test',
    headers: forwardedFor === undefined ? [] : ['x-forwarded-for', forwardedFor],
    remoteAddress,
    scheme: 'http',
    body: null,
  };
}

const untrusted = (): boolean => false;

describe('IpFilter', () => {
  it('admits only addresses in allow, and deny wins over allow', () => {
    const filter = new IpFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.9.9.9/32'] }, trustPredicateFor, untrusted);
    expect(filter.admitsAddress('10.1.2.3')).toBe(true);
    expect(filter.admitsAddress('2001:db8::1')).toBe(true);
    expect(filter.admitsAddress('10.9.9.9')).toBe(false);
    expect(filter.admitsAddress('192.0.2.1')).toBe(false);
    expect(filter.admitsAddress('2001:db9::1')).toBe(false);
  });

  it('without allow, admits every address not denied', () => {
    const filter = new IpFilter({ allow: [], deny: ['192.0.2.0/24'] }, trustPredicateFor, untrusted);
    expect(filter.admitsAddress('192.0.2.200')).toBe(false);
    expect(filter.admitsAddress('198.51.100.1')).toBe(true);
  });

  it('matches IPv4-mapped IPv6 clients against IPv4 ranges, in allow and in deny', () => {
    const filter = new IpFilter({ allow: ['10.0.0.0/8'], deny: ['10.9.9.9'] }, trustPredicateFor, untrusted);
    expect(filter.admitsAddress('::ffff:10.1.2.3')).toBe(true);
    expect(filter.admitsAddress('::ffff:10.9.9.9')).toBe(false);
    expect(filter.admitsAddress('::ffff:192.0.2.1')).toBe(false);
  });

  it('judges the X-Forwarded-For client only behind a trusted proxy', () => {
    const trusted = trustPredicateFor(['127.0.0.1']);
    const filter = new IpFilter({ allow: ['203.0.113.0/24'], deny: [] }, trustPredicateFor, trusted);
    expect(filter.admits(request('127.0.0.1', '203.0.113.5'))).toBe(true);
    expect(filter.admits(request('127.0.0.1', '203.0.113.5, 198.51.100.1'))).toBe(false);
    // A client forging the header itself, not through the trusted proxy, is judged by its own address.
    expect(filter.admits(request('198.51.100.1', '203.0.113.5'))).toBe(false);
    // Garbage from a trusted proxy is no address in the allow list.
    expect(filter.admits(request('127.0.0.1', 'unknown'))).toBe(false);
  });
});
