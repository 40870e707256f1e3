import { MAX_CLIENT_HELLO_BYTES, readClientHello } from '../../../src/core/tcp/client-hello';

/** A ClientHello handshake message with the given extensions (type, body) and no others. */
function clientHelloMessage(extensions: readonly [number, Buffer][] | null): Buffer {
  const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff]);
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7),
    Buffer.from([32]),
    Buffer.alloc(32, 9),
    u16(4),
    Buffer.from([0x13, 0x01, 0x13, 0x02]),
    Buffer.from([1, 0]),
    ...(extensions === null ? [] : [u16(extensions.reduce((n, [, ext]) => n + 4 + ext.length, 0)), ...extensions.map(([type, ext]) => Buffer.concat([u16(type), u16(ext.length), ext]))]),
  ]);
  return Buffer.concat([Buffer.from([0x01, body.length >> 16, (body.length >> 8) & 0xff, body.length & 0xff]), body]);
}

function serverName(...names: string[]): [number, Buffer] {
  const entries = names.map((name) => Buffer.concat([Buffer.from([0, name.length >> 8, name.length & 0xff]), Buffer.from(name, 'latin1')]));
  const list = Buffer.concat(entries);
  return [0, Buffer.concat([Buffer.from([list.length >> 8, list.length & 0xff]), list])];
}

/** Handshake bytes in TLS records of at most `recordSize` bytes each. */
function records(message: Buffer, recordSize = 16384): Buffer {
  const out: Buffer[] = [];
  for (let at = 0; at < message.length; at += recordSize) {
    const part = message.subarray(at, at + recordSize);
    out.push(Buffer.from([0x16, 0x03, 0x01, part.length >> 8, part.length & 0xff]), part);
  }
  return Buffer.concat(out);
}

/** The extensions block claims 65535 bytes. */
function longerExtensions(): Buffer {
  const message = Buffer.from(clientHelloMessage([serverName('x.example')]));
  // type+length (4), version (2), random (32), session id (1 + 32), cipher suites (2 + 4), compression (2)
  message.writeUInt16BE(0xffff, 4 + 2 + 32 + 33 + 6 + 2);
  return message;
}

const supportedVersions: [number, Buffer] = [0x002b, Buffer.from([2, 0x03, 0x04])];

describe('reading the SNI name of a ClientHello', () => {
  it.each([
    ['a name', records(clientHelloMessage([serverName('db.example.com')])), { kind: 'client_hello', serverName: 'db.example.com' }],
    ['a name after other extensions, lower-cased', records(clientHelloMessage([supportedVersions, serverName('DB.Example.COM')])), { kind: 'client_hello', serverName: 'db.example.com' }],
    ['no server_name extension', records(clientHelloMessage([supportedVersions])), { kind: 'client_hello', serverName: null }],
    ['no extensions at all', records(clientHelloMessage(null)), { kind: 'client_hello', serverName: null }],
    ['a ClientHello split over three records', records(clientHelloMessage([supportedVersions, serverName('mq.example.com')]), 40), { kind: 'client_hello', serverName: 'mq.example.com' }],
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\n'), { kind: 'not_tls', reason: 'not a TLS handshake record' }],
    ['an SSH banner', Buffer.from('SSH-2.0-OpenSSH_9.6\r\n'), { kind: 'not_tls', reason: 'not a TLS handshake record' }],
    ['a handshake that is not a ClientHello', records(Buffer.from([0x02, 0, 0, 1, 0])), { kind: 'not_tls', reason: 'first handshake message is not a ClientHello' }],
    ['a record version that is not 3.x', Buffer.from([0x16, 0x02, 0x00, 0x00, 0x05]), { kind: 'not_tls', reason: 'unknown TLS record version' }],
    ['a name with a control character', records(clientHelloMessage([serverName('a\u0001b')])), { kind: 'not_tls', reason: 'malformed ClientHello' }],
    ['extensions longer than the message', records(longerExtensions()), { kind: 'not_tls', reason: 'malformed ClientHello' }],
    ['one byte', Buffer.from([0x16]), { kind: 'incomplete' }],
    ['nothing yet', Buffer.alloc(0), { kind: 'incomplete' }],
  ])('%s', (_name, bytes, expected) => {
    expect(readClientHello(bytes)).toEqual(expected);
  });

  it('waits for every byte of a ClientHello, whatever the split', () => {
    const whole = records(clientHelloMessage([supportedVersions, serverName('db.example.com')]), 50);
    for (let cut = 0; cut < whole.length; cut++) expect(readClientHello(whole.subarray(0, cut))).toEqual({ kind: 'incomplete' });
    expect(readClientHello(whole)).toEqual({ kind: 'client_hello', serverName: 'db.example.com' });
  });

  it('does not wait for a ClientHello larger than the limit', () => {
    // A 128 KiB handshake message announced in the first record.
    const huge = Buffer.from([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x00, 0x00]);
    expect(readClientHello(huge)).toEqual({ kind: 'not_tls', reason: `ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes` });
  });
});
