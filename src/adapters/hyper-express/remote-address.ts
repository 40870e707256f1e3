import type { HttpResponse } from 'uWebSockets.js';
import ipaddr from 'ipaddr.js';

const decoder = new TextDecoder();

/**
 * The peer address in its usual text form. uWS prints IPv6 in full
 * (`0000:...:0001`) and IPv4 clients of a dual-stack socket as IPv4-mapped IPv6.
 */
export function remoteAddressOf(res: HttpResponse): string {
  const text = decoder.decode(res.getRemoteAddressAsText());
  if (!text.includes(':')) return text;
  try {
    const address = ipaddr.IPv6.parse(text);
    return address.isIPv4MappedAddress() ? address.toIPv4Address().toString() : address.toString();
  } catch {
    return text;
  }
}
