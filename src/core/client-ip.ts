import type { InboundRequest } from '../ports/http-server';

/**
 * The address of the client as far as prox can believe it: the connection's peer, unless that
 * peer is a trusted proxy, in which case X-Forwarded-For is walked from the right (the entry
 * the trusted peer added last) past every further trusted hop. The first untrusted entry is the
 * client; a forged prefix written by the client itself is never reached.
 */
export function clientIpOf(request: InboundRequest, isTrustedPeer: (address: string) => boolean): string {
  const peer = request.remoteAddress;
  if (!isTrustedPeer(peer)) return peer;
  const chain = forwardedForChain(request.headers);
  if (chain === null) return peer;
  let client = peer;
  for (let i = chain.length - 1; i >= 0; i--) {
    const hop = chain[i];
    if (hop.length === 0) continue;
    client = hop;
    if (!isTrustedPeer(hop)) return hop;
  }
  return client;
}

/** Every X-Forwarded-For entry in order (several headers joined as one list); null without any. */
function forwardedForChain(headers: readonly string[]): string[] | null {
  let chain: string[] | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== 'x-forwarded-for') continue;
    const entries = headers[i + 1].split(',').map((entry) => entry.trim());
    chain = chain === null ? entries : chain.concat(entries);
  }
  return chain;
}
