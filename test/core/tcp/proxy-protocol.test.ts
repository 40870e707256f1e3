import { decodeProxyHeader, encodeProxyHeader, PROXY_V2_SIGNATURE } from '../../../src/core/tcp/proxy-protocol';

const ascii = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0));
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('PROXY protocol v1 encoding', () => {
  it.each([
    ['IPv4', '192.0.2.1', 51000, '198.51.100.2', 443, 'PROXY TCP4 192.0.2.1 198.51.100.2 51000 443\r\n'],
    ['IPv4-mapped IPv6 written as IPv4', '::ffff:192.0.2.1', 1, '::ffff:127.0.0.1', 2, 'PROXY TCP4 192.0.2.1 127.0.0.1 1 2\r\n'],
    ['IPv6', '2001:db8::1', 65535, '::1', 0, 'PROXY TCP6 2001:db8::1 ::1 65535 0\r\n'],
    ['mixed families', '192.0.2.1', 1, '::1', 2, 'PROXY UNKNOWN\r\n'],
    ['no address', '', 0, '', 0, 'PROXY UNKNOWN\r\n'],
  ])('%s', (_name, src, sport, dst, dport, expected) => {
    expect(Buffer.from(encodeProxyHeader(1, { address: src, port: sport }, { address: dst, port: dport })).toString('latin1')).toBe(expected);
  });
});

describe('PROXY protocol v2 encoding', () => {
  const signature = hex(Uint8Array.from(PROXY_V2_SIGNATURE));
  it.each([
    ['IPv4', '192.0.2.1', 0x1234, '10.0.0.2', 443, '2111000cc0000201' + '0a000002' + '1234' + '01bb'],
    ['IPv6', '2001:db8::1', 1, '::1', 2, '21210024' + '20010db8000000000000000000000001' + '00000000000000000000000000000001' + '0001' + '0002'],
    ['IPv6 with an embedded IPv4 tail', '::ffff:1.2.3.4', 1, '::ffff:5.6.7.8', 2, '2111000c' + '01020304' + '05060708' + '0001' + '0002'],
    ['mixed families (UNSPEC, no addresses)', '192.0.2.1', 1, '::1', 2, '21000000'],
  ])('%s', (_name, src, sport, dst, dport, expected) => {
    expect(hex(encodeProxyHeader(2, { address: src, port: sport }, { address: dst, port: dport }))).toBe(signature + expected);
  });
});

describe('PROXY protocol decoding', () => {
  it.each([
    ['v1 IPv4 followed by payload', ascii('PROXY TCP4 192.0.2.1 198.51.100.2 51000 443\r\nGET /'), { kind: 'header', version: 1, length: 45, source: { address: '192.0.2.1', port: 51000 }, destination: { address: '198.51.100.2', port: 443 } }],
    ['v1 IPv6', ascii('PROXY TCP6 2001:db8::1 ::1 1 2\r\n'), { kind: 'header', version: 1, length: 32, source: { address: '2001:db8::1', port: 1 }, destination: { address: '::1', port: 2 } }],
    ['v1 UNKNOWN', ascii('PROXY UNKNOWN\r\n'), { kind: 'header', version: 1, length: 15, source: null, destination: null }],
    ['v1 cut short', ascii('PROXY TCP4 192.0.2.1 198.5'), { kind: 'incomplete' }],
    ['a prefix of the v1 signature', ascii('PRO'), { kind: 'incomplete' }],
    ['nothing yet', new Uint8Array(0), { kind: 'incomplete' }],
    ['plain HTTP', ascii('GET / HTTP/1.1\r\n'), { kind: 'invalid', reason: 'no PROXY protocol signature' }],
    ['v1 with a bad family', ascii('PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n'), { kind: 'invalid', reason: 'malformed v1 header "PROXY UDP4 1.2.3.4 5.6.7.8 1 2"' }],
    ['v1 with an address of the wrong family', ascii('PROXY TCP4 ::1 5.6.7.8 1 2\r\n'), { kind: 'invalid', reason: 'v1 header addresses are not TCP4 addresses' }],
    ['v1 with a port out of range', ascii('PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n'), { kind: 'invalid', reason: 'v1 header port is not a number from 0 to 65535' }],
    ['v1 with a leading zero in a port', ascii('PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n'), { kind: 'invalid', reason: 'v1 header port is not a number from 0 to 65535' }],
    ['v1 longer than 107 bytes without CRLF', ascii('PROXY ' + 'x'.repeat(120)), { kind: 'invalid', reason: 'v1 header longer than 107 bytes' }],
  ])('%s', (_name, bytes, expected) => {
    expect(decodeProxyHeader(bytes)).toEqual(expected);
  });

  const v2 = (rest: string): Uint8Array => Buffer.from(hex(Uint8Array.from(PROXY_V2_SIGNATURE)) + rest, 'hex');
  it.each([
    ['v2 IPv4', v2('2111000cc00002010a000002123401bb' + 'ffff'), { kind: 'header', version: 2, length: 28, source: { address: '192.0.2.1', port: 0x1234 }, destination: { address: '10.0.0.2', port: 443 } }],
    ['v2 IPv6, compressed on output', v2('21210024' + '20010db8000000000000000000000001' + '00000000000000000000000000000001' + '00010002'), { kind: 'header', version: 2, length: 52, source: { address: '2001:db8::1', port: 1 }, destination: { address: '::1', port: 2 } }],
    ['v2 LOCAL (the balancer checking us)', v2('20000000'), { kind: 'header', version: 2, length: 16, source: null, destination: null }],
    ['v2 with TLVs after the addresses', v2('21110010c00002010a000002123401bb' + '04000100'), { kind: 'header', version: 2, length: 32, source: { address: '192.0.2.1', port: 0x1234 }, destination: { address: '10.0.0.2', port: 443 } }],
    ['v2 UNIX family: addresses not used', v2('2131000400000000'), { kind: 'header', version: 2, length: 20, source: null, destination: null }],
    ['v2 header cut short', v2('2111000cc000'), { kind: 'incomplete' }],
    ['v2 signature cut short', Buffer.from('0d0a0d0a00', 'hex'), { kind: 'incomplete' }],
    ['v2 version 3', v2('3111000c'), { kind: 'invalid', reason: 'v2 header with version 3' }],
    ['v2 unknown command', v2('2211000c'), { kind: 'invalid', reason: 'v2 header with unknown command 2' }],
    ['v2 address block too short', v2('21110004c0000201'), { kind: 'invalid', reason: 'v2 header address block too short for its family' }],
    ['a broken v2 signature', Buffer.from('0d0a0d0a000d0a5155495400', 'hex'), { kind: 'invalid', reason: 'no PROXY protocol signature' }],
  ])('%s', (_name, bytes, expected) => {
    expect(decodeProxyHeader(bytes)).toEqual(expected);
  });

  it('decodes what it encodes', () => {
    for (const version of [1, 2] as const) {
      for (const [src, dst] of [['203.0.113.9', '10.1.2.3'], ['fe80::1:2', '2001:db8:0:0:1::']]) {
        const decoded = decodeProxyHeader(encodeProxyHeader(version, { address: src!, port: 40000 }, { address: dst!, port: 8443 }));
        expect(decoded).toMatchObject({ kind: 'header', version, source: { address: src, port: 40000 }, destination: { address: dst, port: 8443 } });
      }
    }
  });
});
