/**
 * What `auth.jwt` needs from the outside: the identity provider's key set (an HTTP fetch) and
 * the signature and claim checks (a JOSE library). Both are behind ports so the core keeps the
 * decisions (which token, which keys, when to refetch, what to answer) and no crypto or I/O.
 */

/** A JSON Web Key Set as served at a `jwks_url` (RFC 7517 §5): the keys are left to the verifier. */
export interface JsonWebKeySet {
  readonly keys: readonly object[];
}

export interface KeySetFetcher {
  /** Never rejects: transport failures, timeouts, non-2xx answers and bodies that are no key set come back as `failed`. */
  fetch(url: string, timeoutMs: number): Promise<KeySetFetchResult>;
}

export type KeySetFetchResult = { readonly kind: 'keys'; readonly keySet: JsonWebKeySet } | { readonly kind: 'failed'; readonly detail: string };

/** The checks a token must pass besides its signature. */
export interface TokenRules {
  /** `iss` must equal this. */
  readonly issuer: string;
  /** `aud` must be, or contain, this. */
  readonly audience: string;
  /** `alg` values accepted (asymmetric only; never `none`). */
  readonly algorithms: readonly string[];
  /** Clock skew tolerated on `exp` and `nbf`, in seconds. */
  readonly leewaySecs: number;
  /** Now, in milliseconds since the epoch (the injected Clock's wall time). */
  readonly nowMs: number;
}

export interface TokenVerifier {
  /** Never rejects: a malformed or failing token is `invalid`. */
  verify(token: string, keySet: JsonWebKeySet, rules: TokenRules): Promise<TokenVerdict>;
}

export type TokenVerdict =
  /** Signature and every rule passed: the payload's claims. */
  | { readonly kind: 'valid'; readonly claims: Readonly<Record<string, unknown>> }
  /** No key of the set matches the token's `kid` / `alg`: the set may be stale. */
  | { readonly kind: 'unknown_key' }
  /** Refused; `reason` is short, safe to show the client (no token content). */
  | { readonly kind: 'invalid'; readonly reason: string };

export const KeySetFetcher = Symbol.for('prox.KeySetFetcher');
export const TokenVerifier = Symbol.for('prox.TokenVerifier');
