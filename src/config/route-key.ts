/**
 * Route keys: `/path/prefix` or `host/path/prefix` (host may be `*.example.com`).
 */

export interface ParsedRouteKey {
  /** Lower-cased; `null` when the key has no host part. */
  readonly host: string | null;
  readonly pathPrefix: string;
}

export interface RouteKeyProblem {
  readonly message: string;
  readonly hint: string;
}

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOST_NAME = new RegExp(`^(?:\\*\\.)?${HOST_LABEL}(?:\\.${HOST_LABEL})*$`);

/** Leading `/` kept, trailing `/` dropped (except for the root) so `/api` and `/api/` coincide. */
export function normalisePathPrefix(path: string): string {
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') return '/';
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

export function parseRouteKey(key: string): ParsedRouteKey | RouteKeyProblem {
  const unmatchable = /[?#]/.exec(key);
  if (unmatchable) {
    return {
      message: `route "${key}" contains "${unmatchable[0]}" and can never match`,
      hint: 'routes match the request path only; the query string and fragment are not part of it',
    };
  }
  if (/\s/.test(key)) {
    return {
      message: `route "${key}" contains whitespace and can never match`,
      hint: 'request paths never contain raw spaces; write %20 if the path really has one',
    };
  }
  const slash = key.indexOf('/');
  if (slash === -1) {
    return {
      message: `route "${key}" has no path`,
      hint: `start the key with / for a path prefix, or write "${key}/" to match every path on host ${key}`,
    };
  }
  const rawHost = key.slice(0, slash);
  const pathPrefix = normalisePathPrefix(key.slice(slash));
  if (rawHost === '') return { host: null, pathPrefix };

  const host = rawHost.toLowerCase();
  if (host.includes(':')) {
    return {
      message: `route host "${rawHost}" includes a port`,
      hint: 'route hosts match the Host header without its port; drop the ":port" part',
    };
  }
  if (!HOST_NAME.test(host)) {
    return {
      message: `route host "${rawHost}" is not a valid host name`,
      hint: 'use a DNS name such as api.example.com, or *.example.com to match any subdomain',
    };
  }
  return { host, pathPrefix };
}

export function isRouteKeyProblem(parsed: ParsedRouteKey | RouteKeyProblem): parsed is RouteKeyProblem {
  return 'message' in parsed;
}
