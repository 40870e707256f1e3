import type * as Jose from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import type { JsonWebKeySet, TokenRules, TokenVerdict, TokenVerifier } from '../../ports/json-web-tokens';

let joseModule: Promise<typeof Jose> | null = null;
/** jose is loaded on the first token, not at startup: most configs (and prox validate) never need it. */
function loadJose(): Promise<typeof Jose> {
  joseModule ??= import('jose');
  return joseModule;
}

/**
 * JWT checks on `jose` (RFC 7515/7519: signature, `exp`/`nbf` with leeway, `iss`, `aud`, the
 * allowed `alg` list). The imported keys of a key set are kept with it (jose caches them inside
 * its local set), so a key is parsed once per fetched set, not once per request.
 */
export class JoseTokenVerifier implements TokenVerifier {
  private readonly localSets = new WeakMap<JsonWebKeySet, JWTVerifyGetKey>();

  async verify(token: string, keySet: JsonWebKeySet, rules: TokenRules): Promise<TokenVerdict> {
    const jose = await loadJose();
    try {
      const { payload } = await jose.jwtVerify(token, this.localSetOf(jose, keySet), {
        issuer: rules.issuer,
        audience: rules.audience,
        algorithms: [...rules.algorithms],
        clockTolerance: rules.leewaySecs,
        currentDate: new Date(rules.nowMs),
        // A token without an expiry would stay valid forever once leaked.
        requiredClaims: ['exp'],
      });
      return { kind: 'valid', claims: payload };
    } catch (error) {
      return verdictOf(jose.errors, error);
    }
  }

  private localSetOf(jose: typeof Jose, keySet: JsonWebKeySet): JWTVerifyGetKey {
    let local = this.localSets.get(keySet);
    if (local === undefined) {
      local = jose.createLocalJWKSet(keySet as unknown as JSONWebKeySet);
      this.localSets.set(keySet, local);
    }
    return local;
  }
}

/** jose's error as a verdict; the reason names the failed check, never the token's content. */
function verdictOf(errors: typeof Jose.errors, error: unknown): TokenVerdict {
  if (error instanceof errors.JWKSNoMatchingKey) return { kind: 'unknown_key' };
  if (error instanceof errors.JWTExpired) return { kind: 'invalid', reason: 'the token expired' };
  if (error instanceof errors.JWTClaimValidationFailed) return { kind: 'invalid', reason: `the ${error.claim} claim check failed` };
  if (error instanceof errors.JOSEAlgNotAllowed) return { kind: 'invalid', reason: 'the token algorithm is not allowed' };
  if (error instanceof errors.JWSSignatureVerificationFailed) return { kind: 'invalid', reason: 'the signature does not verify' };
  if (error instanceof errors.JWKSMultipleMatchingKeys) return { kind: 'invalid', reason: 'several keys match the token; it needs a kid' };
  return { kind: 'invalid', reason: 'the token is malformed' };
}
