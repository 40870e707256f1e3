import type { IpFilterSpec, RoutePolicies } from '../core/model';
import type { RawRoute } from './raw-config';

/** A route's edge policies (docs/policies.md) with defaults filled in; null where unused. */
export function routePolicies(route: RawRoute): RoutePolicies {
  return {
    ipFilter: route.ip_filter === undefined ? null : ipFilter(route.ip_filter),
  };
}

function ipFilter(block: NonNullable<RawRoute['ip_filter']>): IpFilterSpec {
  return { allow: [...(block.allow ?? [])], deny: [...(block.deny ?? [])] };
}
