import { isUnderPrefix } from './path';

/** Anything routable: a host (or none) and a normalised path prefix. */
export interface Routable {
  /** Lower-case host, `*.suffix` wildcard, or null for host-less routes. */
  readonly host: string | null;
  readonly pathPrefix: string;
}

/**
 * Picks the route for a request.
 *
 * Precedence: routes for the exact host, then for the most specific matching wildcard host,
 * then host-less routes; within a group, the longest prefix matching on a segment boundary.
 * A host group with no matching prefix falls through to the next group.
 */
export class RouteTable<R extends Routable> {
  private readonly exactHosts = new Map<string, R[]>();
  /** Sorted most specific (longest suffix) first. */
  private readonly wildcardHosts: { suffix: string; routes: R[] }[] = [];
  private readonly hostless: R[] = [];

  constructor(private readonly routes: readonly R[]) {
    const wildcards = new Map<string, R[]>();
    for (const route of routes) {
      if (route.host === null) this.hostless.push(route);
      else if (route.host.startsWith('*.')) pushInto(wildcards, route.host.slice(1), route);
      else pushInto(this.exactHosts, route.host, route);
    }
    for (const group of this.exactHosts.values()) sortLongestPrefixFirst(group);
    for (const [suffix, group] of wildcards) this.wildcardHosts.push({ suffix, routes: sortLongestPrefixFirst(group) });
    this.wildcardHosts.sort((a, b) => b.suffix.length - a.suffix.length);
    sortLongestPrefixFirst(this.hostless);
  }

  /** Every route, in declaration order. */
  all(): readonly R[] {
    return this.routes;
  }

  /** `hostname` must be lower-case without port; `path` already free of dot segments. */
  match(hostname: string, path: string): R | null {
    if (this.exactHosts.size > 0) {
      const group = this.exactHosts.get(hostname);
      if (group !== undefined) {
        const hit = longestPrefixMatch(group, path);
        if (hit !== null) return hit;
      }
    }
    for (let i = 0; i < this.wildcardHosts.length; i++) {
      const wildcard = this.wildcardHosts[i];
      if (hostname.length > wildcard.suffix.length && hostname.endsWith(wildcard.suffix)) {
        const hit = longestPrefixMatch(wildcard.routes, path);
        if (hit !== null) return hit;
      }
    }
    return longestPrefixMatch(this.hostless, path);
  }
}

function longestPrefixMatch<R extends Routable>(sorted: readonly R[], path: string): R | null {
  for (let i = 0; i < sorted.length; i++) {
    if (isUnderPrefix(path, sorted[i].pathPrefix)) return sorted[i];
  }
  return null;
}

function sortLongestPrefixFirst<R extends Routable>(routes: R[]): R[] {
  return routes.sort((a, b) => b.pathPrefix.length - a.pathPrefix.length);
}

function pushInto<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
