import type { InboundRequest } from '../../ports/http-server';
import { clientIpOf } from '../client-ip';
import type { IpFilterSpec } from '../model';

/** Membership test over address ranges; built once per config load by whoever can parse CIDRs. */
export type AddressSetFactory = (ranges: readonly string[]) => (address: string) => boolean;

/**
 * A route's `ip_filter`, compiled: deny wins over allow, and an allow list refuses everything
 * outside it. The client is the address trusted_proxies let prox believe, so a request relayed
 * by a trusted proxy is judged by the X-Forwarded-For entry that proxy vouches for.
 */
export class IpFilter {
  private readonly allowed: ((address: string) => boolean) | null;
  private readonly denied: ((address: string) => boolean) | null;

  constructor(
    spec: IpFilterSpec,
    addressSet: AddressSetFactory,
    private readonly isTrustedPeer: (address: string) => boolean,
  ) {
    this.allowed = spec.allow.length === 0 ? null : addressSet(spec.allow);
    this.denied = spec.deny.length === 0 ? null : addressSet(spec.deny);
  }

  admits(request: InboundRequest): boolean {
    return this.admitsAddress(clientIpOf(request, this.isTrustedPeer));
  }

  admitsAddress(address: string): boolean {
    if (this.denied !== null && this.denied(address)) return false;
    return this.allowed === null || this.allowed(address);
  }
}
