import type { HttpResponse } from 'uWebSockets.js';
import ipaddr from 'ipaddr.js';

const decoder = new TextDecoder();

/** Text forms of recently seen IPv4 peers, by address; cleared when full so it stays small. */
const ipv4Texts = new Map<number, string>();
const MAX_CACHED_IPV4 = 4096;

/**
 * The peer address in its usual text form. uWS prints IPv6 in full
 * (`0000:...:0001`) and IPv4 clients of a dual-stack socket as IPv4-mapped IPv6.
 *
 * IPv4 peers (plain or mapped), the common case, are read from the binary address and their
 * text cached: keep-alive clients send many requests from one address.
 */
export function remoteAddressOf(res: HttpResponse): string {
  const binary = new Uint8Array(res.getRemoteAddress());
  const v4Offset = ipv4Offset(binary);
  if (v4Offset >= 0) return ipv4Text(binary, v4Offset);
  return ipv6Text(decoder.decode(res.getRemoteAddressAsText()));
}

/** Where the IPv4 address starts in `binary`, or -1 when it is a real IPv6 address. */
function ipv4Offset(binary: Uint8Array): number {
  if (binary.length === 4) return 0;
  if (binary.length !== 16 || binary[10] !== 0xff || binary[11] !== 0xff) return -1;
  for (let i = 0; i < 10; i++) if (binary[i] !== 0) return -1;
  return 12;
}

function ipv4Text(binary: Uint8Array, at: number): string {
  const key = ((binary[at] << 24) | (binary[at + 1] << 16) | (binary[at + 2] << 8) | binary[at + 3]) >>> 0;
  let text = ipv4Texts.get(key);
  if (text === undefined) {
    text = `${binary[at]}.${binary[at + 1]}.${binary[at + 2]}.${binary[at + 3]}`;
    if (ipv4Texts.size >= MAX_CACHED_IPV4) ipv4Texts.clear();
    ipv4Texts.set(key, text);
  }
  return text;
}

function ipv6Text(text: string): string {
  if (!text.includes(':')) return text;
  try {
    const address = ipaddr.IPv6.parse(text);
    return address.isIPv4MappedAddress() ? address.toIPv4Address().toString() : address.toString();
  } catch {
    return text;
  }
}
