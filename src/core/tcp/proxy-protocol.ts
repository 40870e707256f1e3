/**
 * The PROXY protocol (HAProxy, versions 1 and 2): a header a load balancer writes at the start
 * of a TCP connection so the next hop learns the original client's address. Pure code over
 * byte arrays: the TCP adapter writes `encodeProxyHeader`'s bytes before the first client byte,
 * and feeds the first bytes of a trusted peer's connection to `decodeProxyHeader`.
 * Spec: https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt
 */

export interface ProxyEndpoint {
  /** IPv4 dotted quad or IPv6 text (IPv4-mapped IPv6 is written as IPv4). */
  readonly address: string;
  readonly port: number;
}

export type ProxyHeaderDecoding =
  /** More bytes are needed to decide. */
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'invalid'; readonly reason: string }
  | {
      readonly kind: 'header';
      readonly version: 1 | 2;
      /** Bytes the header took: the payload starts right after. */
      readonly length: number;
      /** `null` for LOCAL (v2), UNKNOWN (v1) or an address family other than TCP over IPv4/6. */
      readonly source: ProxyEndpoint | null;
      readonly destination: ProxyEndpoint | null;
    };

/** The 12-byte v2 signature. */
export const PROXY_V2_SIGNATURE: readonly number[] = [0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a];
const V1_PREFIX = 'PROXY ';
/** "PROXY TCP6 " + 2 × 39 + 2 × 5 + 3 spaces + CRLF (spec §2.1). */
export const PROXY_V1_MAX_LENGTH = 107;
/** v2 header with the longest address block prox accepts (TLVs included). */
export const PROXY_V2_MAX_LENGTH = 16 + 65535;

/** The header announcing `source` → `destination`; both of one family (else v1 UNKNOWN / v2 LOCAL-less UNSPEC). */
export function encodeProxyHeader(version: 1 | 2, source: ProxyEndpoint, destination: ProxyEndpoint): Uint8Array {
  return version === 1 ? encodeV1(source, destination) : encodeV2(source, destination);
}

function encodeV1(source: ProxyEndpoint, destination: ProxyEndpoint): Uint8Array {
  const src = canonicalAddress(source.address);
  const dst = canonicalAddress(destination.address);
  const family = familyOf(src);
  const line = family === null || family !== familyOf(dst) ? 'PROXY UNKNOWN\r\n' : `PROXY ${family === 4 ? 'TCP4' : 'TCP6'} ${src} ${dst} ${source.port} ${destination.port}\r\n`;
  return asciiBytes(line);
}

function encodeV2(source: ProxyEndpoint, destination: ProxyEndpoint): Uint8Array {
  const src = canonicalAddress(source.address);
  const dst = canonicalAddress(destination.address);
  const family = familyOf(src);
  const sameFamily = family !== null && family === familyOf(dst);
  const addressBytes = !sameFamily ? 0 : family === 4 ? 12 : 36;
  const out = new Uint8Array(16 + addressBytes);
  out.set(PROXY_V2_SIGNATURE, 0);
  out[12] = 0x21; // version 2, command PROXY
  out[13] = !sameFamily ? 0x00 : family === 4 ? 0x11 : 0x21; // UNSPEC, or TCP over IPv4 / IPv6
  out[14] = addressBytes >> 8;
  out[15] = addressBytes & 0xff;
  if (!sameFamily) return out;
  const width = family === 4 ? 4 : 16;
  out.set(family === 4 ? ipv4Bytes(src)! : ipv6Bytes(src)!, 16);
  out.set(family === 4 ? ipv4Bytes(dst)! : ipv6Bytes(dst)!, 16 + width);
  writePort(out, 16 + 2 * width, source.port);
  writePort(out, 18 + 2 * width, destination.port);
  return out;
}

/** Reads a v1 or v2 header at the start of `bytes`. */
export function decodeProxyHeader(bytes: Uint8Array): ProxyHeaderDecoding {
  if (bytes.length === 0) return { kind: 'incomplete' };
  if (bytes[0] === PROXY_V2_SIGNATURE[0]) return decodeV2(bytes);
  if (bytes[0] === V1_PREFIX.charCodeAt(0)) return decodeV1(bytes);
  return { kind: 'invalid', reason: 'no PROXY protocol signature' };
}

function decodeV1(bytes: Uint8Array): ProxyHeaderDecoding {
  const prefixLength = Math.min(bytes.length, V1_PREFIX.length);
  for (let i = 0; i < prefixLength; i++) {
    if (bytes[i] !== V1_PREFIX.charCodeAt(i)) return { kind: 'invalid', reason: 'no PROXY protocol signature' };
  }
  let end = -1;
  const limit = Math.min(bytes.length, PROXY_V1_MAX_LENGTH);
  for (let i = 1; i < limit; i++) {
    if (bytes[i - 1] === 0x0d && bytes[i] === 0x0a) {
      end = i + 1;
      break;
    }
  }
  if (end === -1) return bytes.length >= PROXY_V1_MAX_LENGTH ? { kind: 'invalid', reason: 'v1 header longer than 107 bytes' } : { kind: 'incomplete' };
  const line = String.fromCharCode(...bytes.subarray(0, end - 2));
  const parts = line.split(' ');
  if (parts[1] === 'UNKNOWN') return { kind: 'header', version: 1, length: end, source: null, destination: null };
  if (parts.length !== 6 || (parts[1] !== 'TCP4' && parts[1] !== 'TCP6')) return { kind: 'invalid', reason: `malformed v1 header "${line}"` };
  const family = parts[1] === 'TCP4' ? 4 : 6;
  const [, , src, dst, srcPort, dstPort] = parts as [string, string, string, string, string, string];
  const valid = (address: string): boolean => (family === 4 ? ipv4Bytes(address) !== null : ipv6Bytes(address) !== null);
  if (!valid(src) || !valid(dst)) return { kind: 'invalid', reason: `v1 header addresses are not ${parts[1]} addresses` };
  const sport = portOf(srcPort);
  const dport = portOf(dstPort);
  if (sport === null || dport === null) return { kind: 'invalid', reason: 'v1 header port is not a number from 0 to 65535' };
  return { kind: 'header', version: 1, length: end, source: { address: src, port: sport }, destination: { address: dst, port: dport } };
}

function decodeV2(bytes: Uint8Array): ProxyHeaderDecoding {
  const signatureLength = Math.min(bytes.length, PROXY_V2_SIGNATURE.length);
  for (let i = 0; i < signatureLength; i++) {
    if (bytes[i] !== PROXY_V2_SIGNATURE[i]) return { kind: 'invalid', reason: 'no PROXY protocol signature' };
  }
  if (bytes.length < 16) return { kind: 'incomplete' };
  const versionCommand = bytes[12]!;
  if (versionCommand >> 4 !== 2) return { kind: 'invalid', reason: `v2 header with version ${versionCommand >> 4}` };
  const command = versionCommand & 0x0f;
  if (command > 1) return { kind: 'invalid', reason: `v2 header with unknown command ${command}` };
  const length = 16 + ((bytes[14]! << 8) | bytes[15]!);
  if (bytes.length < length) return { kind: 'incomplete' };
  const familyProtocol = bytes[13]!;
  // LOCAL (health checks of the balancer itself), or a family prox does not map: the peer's own address stands.
  if (command === 0 || (familyProtocol !== 0x11 && familyProtocol !== 0x21)) return { kind: 'header', version: 2, length, source: null, destination: null };
  const width = familyProtocol === 0x11 ? 4 : 16;
  if (length < 16 + 2 * width + 4) return { kind: 'invalid', reason: 'v2 header address block too short for its family' };
  const address = (offset: number): string => (width === 4 ? formatIpv4(bytes, offset) : formatIpv6(bytes, offset));
  const port = (offset: number): number => (bytes[offset]! << 8) | bytes[offset + 1]!;
  return {
    kind: 'header',
    version: 2,
    length,
    source: { address: address(16), port: port(16 + 2 * width) },
    destination: { address: address(16 + width), port: port(18 + 2 * width) },
  };
}

/** `::ffff:1.2.3.4` (how dual-stack sockets report IPv4 peers) → `1.2.3.4`. */
function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

function familyOf(address: string): 4 | 6 | null {
  if (ipv4Bytes(address) !== null) return 4;
  if (ipv6Bytes(address) !== null) return 6;
  return null;
}

function ipv4Bytes(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(parts[i]!)) return null;
    const value = Number(parts[i]);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** RFC 4291 text form: hex groups, at most one `::`, optionally ending in a dotted quad. */
function ipv6Bytes(text: string): Uint8Array | null {
  if (!text.includes(':')) return null;
  let body = text;
  let tail: Uint8Array | null = null;
  const lastColon = body.lastIndexOf(':');
  if (body.slice(lastColon + 1).includes('.')) {
    tail = ipv4Bytes(body.slice(lastColon + 1));
    if (tail === null) return null;
    body = body.slice(0, lastColon + 1) + '0:0';
  }
  const halves = body.split('::');
  if (halves.length > 2) return null;
  const groups = (half: string): string[] | null => (half === '' ? [] : half.split(':'));
  const head = groups(halves[0]!);
  const rest = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === null || rest === null) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    if (!/^[0-9a-f]{1,4}$/i.test(all[i]!)) return null;
    const value = parseInt(all[i]!, 16);
    out[2 * i] = value >> 8;
    out[2 * i + 1] = value & 0xff;
  }
  if (tail !== null) out.set(tail, 12);
  return out;
}

function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** Hex groups without leading zeros, the longest run of zero groups (≥ 2) shortened to `::` (RFC 5952). */
function formatIpv6(bytes: Uint8Array, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((bytes[offset + 2 * i]! << 8) | bytes[offset + 2 * i + 1]!);
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function portOf(text: string): number | null {
  if (!/^(0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const value = Number(text);
  return value <= 65535 ? value : null;
}

function writePort(out: Uint8Array, offset: number, port: number): void {
  out[offset] = port >> 8;
  out[offset + 1] = port & 0xff;
}

function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}
