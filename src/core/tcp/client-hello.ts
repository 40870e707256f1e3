/**
 * Finds the SNI name in a TLS ClientHello without terminating TLS (passthrough routing). Pure:
 * the TCP adapter feeds the first bytes it has buffered and forwards them unchanged afterwards.
 * RFC 8446 §4.1.2 (ClientHello), RFC 6066 §3 (server_name); a ClientHello may span several
 * handshake records, which are joined here.
 */

export type ClientHelloReading =
  /** Not enough bytes yet. */
  | { readonly kind: 'incomplete' }
  /** The bytes are not a TLS handshake (or are a malformed one): no name can be had. */
  | { readonly kind: 'not_tls'; readonly reason: string }
  /** A complete ClientHello; `serverName` is lower-cased, `null` when the client sent none. */
  | { readonly kind: 'client_hello'; readonly serverName: string | null };

/** A ClientHello larger than this is not waited for (the peer would have to be hostile or broken). */
export const MAX_CLIENT_HELLO_BYTES = 64 * 1024;

const HANDSHAKE_RECORD = 0x16;
const CLIENT_HELLO = 0x01;
const SERVER_NAME_EXTENSION = 0x0000;
const HOST_NAME = 0x00;

export function readClientHello(bytes: Uint8Array): ClientHelloReading {
  const handshake = joinHandshakeRecords(bytes);
  if (handshake.kind !== 'joined') return handshake;
  const message = handshake.bytes;
  if (message[0] !== CLIENT_HELLO) return { kind: 'not_tls', reason: 'first handshake message is not a ClientHello' };
  const reader = new Reader(message, 4, 4 + handshake.messageLength);
  try {
    reader.skip(2 + 32); // legacy_version, random
    reader.skip(reader.u8()); // legacy_session_id
    reader.skip(reader.u16()); // cipher_suites
    reader.skip(reader.u8()); // legacy_compression_methods
    if (reader.remaining === 0) return { kind: 'client_hello', serverName: null }; // no extensions at all
    const extensionsLength = reader.u16();
    if (extensionsLength > reader.remaining) throw new Error('extensions longer than the ClientHello');
    const extensionsEnd = reader.offset + extensionsLength;
    while (reader.offset < extensionsEnd) {
      const type = reader.u16();
      const length = reader.u16();
      if (type !== SERVER_NAME_EXTENSION) {
        reader.skip(length);
        continue;
      }
      return { kind: 'client_hello', serverName: serverNameOf(new Reader(message, reader.offset, reader.offset + length)) };
    }
    return { kind: 'client_hello', serverName: null };
  } catch {
    return { kind: 'not_tls', reason: 'malformed ClientHello' };
  }
}

function serverNameOf(reader: Reader): string | null {
  const listEnd = reader.offset + reader.u16();
  while (reader.offset < listEnd) {
    const type = reader.u8();
    const length = reader.u16();
    if (type !== HOST_NAME) {
      reader.skip(length);
      continue;
    }
    let name = '';
    for (let i = 0; i < length; i++) {
      const byte = reader.u8();
      if (byte < 0x21 || byte > 0x7e) throw new Error('server name is not printable ASCII');
      name += String.fromCharCode(byte);
    }
    return name.toLowerCase();
  }
  return null;
}

type Joined = { readonly kind: 'joined'; readonly bytes: Uint8Array; readonly messageLength: number } | Exclude<ClientHelloReading, { kind: 'client_hello' }>;

/** The handshake bytes of consecutive handshake records, once they hold the first whole message. */
function joinHandshakeRecords(bytes: Uint8Array): Joined {
  const parts: Uint8Array[] = [];
  let collected = 0;
  let offset = 0;
  let needed = -1;
  while (needed === -1 || collected < needed) {
    if (bytes.length < offset + 5) return bytes.length >= MAX_CLIENT_HELLO_BYTES ? tooLarge() : { kind: 'incomplete' };
    if (bytes[offset] !== HANDSHAKE_RECORD) return { kind: 'not_tls', reason: offset === 0 ? 'not a TLS handshake record' : 'ClientHello interrupted by another record type' };
    if (bytes[offset + 1] !== 0x03) return { kind: 'not_tls', reason: 'unknown TLS record version' };
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (length === 0) return { kind: 'not_tls', reason: 'empty handshake record' };
    if (bytes.length < offset + 5 + length) return offset + 5 + length > MAX_CLIENT_HELLO_BYTES ? tooLarge() : { kind: 'incomplete' };
    parts.push(bytes.subarray(offset + 5, offset + 5 + length));
    collected += length;
    offset += 5 + length;
    if (needed === -1 && collected >= 4) {
      const first = concat(parts, collected);
      needed = 4 + ((first[1]! << 16) | (first[2]! << 8) | first[3]!);
      if (needed > MAX_CLIENT_HELLO_BYTES) return tooLarge();
    }
  }
  return { kind: 'joined', bytes: concat(parts, collected), messageLength: needed - 4 };
}

function tooLarge(): Joined {
  return { kind: 'not_tls', reason: `ClientHello larger than ${MAX_CLIENT_HELLO_BYTES} bytes` };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Bounds-checked big-endian reads; throws past `end`. */
class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    public offset: number,
    private readonly end: number,
  ) {
    if (end > bytes.length) throw new Error('length past the data');
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.offset++]!;
  }

  u16(): number {
    this.need(2);
    const value = (this.bytes[this.offset]! << 8) | this.bytes[this.offset + 1]!;
    this.offset += 2;
    return value;
  }

  skip(count: number): void {
    this.need(count);
    this.offset += count;
  }

  private need(count: number): void {
    if (this.offset + count > this.end) throw new Error('truncated');
  }
}
