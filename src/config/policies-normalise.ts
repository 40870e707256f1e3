import type { AuthSpec, CompressionSpec, CorsSpec, IpFilterSpec, RoutePolicies } from '../core/model';
import type { HtpasswdEntry } from './users-files';
import type { RawRoute } from './raw-config';

/** A route's edge policies (docs/policies.md) with defaults filled in; null where unused. */
export function routePolicies(route: RawRoute, users: readonly HtpasswdEntry[]): RoutePolicies {
  return {
    ipFilter: route.ip_filter === undefined ? null : ipFilter(route.ip_filter),
    cors: route.cors === undefined ? null : cors(route.cors),
    compression: route.compression === undefined || route.compression.enabled === false ? null : compression(route.compression),
    auth: route.auth === undefined ? null : auth(route.auth, users),
  };
}

function ipFilter(block: NonNullable<RawRoute['ip_filter']>): IpFilterSpec {
  return { allow: [...(block.allow ?? [])], deny: [...(block.deny ?? [])] };
}

function cors(block: NonNullable<RawRoute['cors']>): CorsSpec {
  return {
    allowOrigins: [...block.allow_origins],
    allowMethods: (block.allow_methods ?? ['GET', 'HEAD', 'POST']).map((method) => method.toUpperCase()),
    allowHeaders: [...(block.allow_headers ?? [])],
    exposeHeaders: [...(block.expose_headers ?? [])],
    allowCredentials: block.allow_credentials ?? false,
    maxAgeSecs: block.max_age_secs ?? null,
  };
}

const DEFAULT_COMPRESSED_TYPES = ['text/*', 'application/json', 'application/javascript', 'application/xml', 'image/svg+xml'];

function compression(block: NonNullable<RawRoute['compression']>): CompressionSpec {
  return {
    algorithms: [...(block.algorithms ?? ['br', 'gzip'])],
    minBytes: block.min_bytes ?? 1024,
    types: (block.types ?? DEFAULT_COMPRESSED_TYPES).map((type) => type.toLowerCase()),
  };
}

function auth(block: NonNullable<RawRoute['auth']>, users: readonly HtpasswdEntry[]): AuthSpec {
  const forward = block.forward;
  if (forward !== undefined) {
    return {
      scheme: 'forward',
      url: forward.url,
      copyRequestHeaders: (forward.copy_request_headers ?? ['cookie', 'authorization']).map((name) => name.toLowerCase()),
      copyResponseHeaders: (forward.copy_response_headers ?? []).map((name) => name.toLowerCase()),
      timeoutMs: (forward.timeout_secs ?? 2) * 1000,
      forwardCredentials: forward.forward_credentials ?? false,
    };
  }
  const jwt = block.jwt;
  if (jwt !== undefined) {
    return {
      scheme: 'jwt',
      jwksUrl: jwt.jwks_url,
      issuer: jwt.issuer,
      audience: jwt.audience,
      algorithms: [...(jwt.algorithms ?? ['RS256', 'ES256'])],
      leewaySecs: jwt.leeway_secs ?? 30,
      jwksCacheMs: (jwt.jwks_cache_secs ?? 600) * 1000,
      claimsToHeaders: Object.entries(jwt.claims_to_headers ?? {}).map(([claim, header]) => ({ claim, header: header.toLowerCase() })),
      tokenCookie: jwt.token_cookie ?? null,
      realm: jwt.realm ?? 'prox',
      forwardCredentials: jwt.forward_credentials ?? false,
    };
  }
  const basic = block.basic;
  if (basic === undefined) throw new Error('unvalidated auth block reached normalise without a scheme');
  return { scheme: 'basic', realm: basic.realm ?? 'prox', users: [...users], forwardCredentials: basic.forward_credentials ?? false };
}
