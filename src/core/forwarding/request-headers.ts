import type { InboundRequest } from '../../ports/http-server';
import { connectionNominatedHeaders, isHopByHop } from './hop-by-hop';

export interface ForwardingPolicy {
  /** Send the client's Host upstream instead of the upstream's own authority. */
  readonly preserveHost: boolean;
  /** Whether the direct peer is a proxy whose X-Forwarded-* headers we believe. */
  readonly isTrustedPeer: (address: string) => boolean;
}

/**
 * Builds the header list sent upstream: hop-by-hop headers and `Expect` removed (prox answers
 * `100-continue` itself), Host set, and the X-Forwarded-* trio added. An incoming
 * X-Forwarded-* value is only kept when the direct peer is trusted; otherwise a client could
 * forge its address.
 */
export function buildUpstreamRequestHeaders(
  request: InboundRequest,
  upstreamAuthority: string,
  policy: ForwardingPolicy,
  /** The request's id: any incoming header of that name is replaced by it. */
  requestId: { readonly header: string; readonly value: string } | null = null,
): string[] {
  const incoming = request.headers;
  const idHeader = requestId === null ? null : requestId.header;
  const nominated = connectionNominatedHeaders(incoming);
  const trusted = policy.isTrustedPeer(request.remoteAddress);
  const out: string[] = [];
  let priorForwardedFor: string | null = null;
  let priorProto: string | null = null;
  let priorHost: string | null = null;

  for (let i = 0; i < incoming.length; i += 2) {
    const name = incoming[i];
    const value = incoming[i + 1];
    switch (name) {
      case 'host':
      case 'expect':
        continue;
      case 'x-forwarded-for':
        if (trusted) priorForwardedFor = priorForwardedFor === null ? value : priorForwardedFor + ', ' + value;
        continue;
      case 'x-forwarded-proto':
        if (trusted && priorProto === null) priorProto = value;
        continue;
      case 'x-forwarded-host':
        if (trusted && priorHost === null) priorHost = value;
        continue;
    }
    if (isHopByHop(name) || (nominated !== null && nominated.has(name)) || name === idHeader) continue;
    out.push(name, value);
  }
  if (requestId !== null) out.push(requestId.header, requestId.value);

  out.push('host', policy.preserveHost ? request.authority : upstreamAuthority);
  out.push(
    'x-forwarded-for',
    priorForwardedFor === null ? request.remoteAddress : priorForwardedFor + ', ' + request.remoteAddress,
  );
  out.push('x-forwarded-proto', priorProto ?? request.scheme);
  out.push('x-forwarded-host', priorHost ?? request.authority);
  return out;
}
