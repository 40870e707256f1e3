import { clientIpOf } from '../../src/core/client-ip';
import { inboundRequest } from './support/fakes';

const trusted = new Set(['10.0.0.1', '10.0.0.2']);
const isTrusted = (address: string): boolean => trusted.has(address);

function from(remoteAddress: string, ...forwardedFor: string[]): string {
  const headers = forwardedFor.flatMap((value) => ['x-forwarded-for', value]);
  return clientIpOf(inboundRequest({ remoteAddress, headers }), isTrusted);
}

describe('clientIpOf', () => {
  it.each([
    ['an untrusted peer is the client, whatever it claims', from('203.0.113.9', '198.51.100.1'), '203.0.113.9'],
    ['a trusted peer without X-Forwarded-For is the client', from('10.0.0.1'), '10.0.0.1'],
    ['a trusted peer vouches for the last entry', from('10.0.0.1', '198.51.100.7'), '198.51.100.7'],
    ['a forged prefix before the real client is ignored', from('10.0.0.1', '6.6.6.6, 198.51.100.7'), '198.51.100.7'],
    ['trusted hops in the chain are skipped', from('10.0.0.1', '198.51.100.7, 10.0.0.2'), '198.51.100.7'],
    ['several headers form one list', from('10.0.0.1', '6.6.6.6', '198.51.100.7'), '198.51.100.7'],
    ['a chain of only trusted hops ends at the first of them', from('10.0.0.1', '10.0.0.2'), '10.0.0.2'],
    ['empty entries are skipped', from('10.0.0.1', '198.51.100.7, '), '198.51.100.7'],
  ])('%s', (_case, actual, expected) => {
    expect(actual).toBe(expected);
  });
});
