import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWK, type KeyLike } from 'jose';
import { deadAddress, startBackend, type TestBackend } from '../support/backends';
import { send, type ClientResponse } from '../support/http-client';
import { startProx, type ProxProcess } from '../support/prox-process';

/**
 * auth.jwt against a real JWKS endpoint (node:http serving keys made with jose) and tokens
 * signed by jose. Time moves through the test-only OffsetClock (PROX_TEST_CLOCK=offset), so the
 * refetch bound and the cache age pass without sleeping.
 */

const ISSUER = 'https://idp.test';
const AUDIENCE = 'orders';

interface SigningKey {
  readonly kid: string;
  readonly alg: 'RS256' | 'ES256';
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

async function signingKey(kid: string, alg: 'RS256' | 'ES256'): Promise<SigningKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg);
  return { kid, alg, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

function token(key: SigningKey, claims: Record<string, unknown> = {}, edit: (jwt: SignJWT) => SignJWT = (jwt) => jwt): Promise<string> {
  const jwt = new SignJWT({ sub: 'alice', ...claims }).setProtectedHeader({ alg: key.alg, kid: key.kid }).setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt().setExpirationTime('1h');
  return edit(jwt).sign(key.privateKey);
}

describe('auth.jwt', () => {
  let backend: TestBackend;
  let jwks: TestBackend;
  let prox: ProxProcess;
  let served: SigningKey[];
  let jwksAnswers = true;
  let first: SigningKey;

  const get = (path: string, headers: Record<string, string> = {}): Promise<ClientResponse> => send(`${prox.baseUrl}${path}`, { headers });
  const bearer = (value: string): Record<string, string> => ({ authorization: `Bearer ${value}` });
  const advance = async (ms: number): Promise<void> => {
    const response = await fetch(`${prox.adminUrl}/debug/clock?advance_ms=${ms}`, { method: 'POST' });
    expect(response.status).toBe(200);
  };

  beforeAll(async () => {
    first = await signingKey('k1', 'RS256');
    served = [first];
    jwks = await startBackend((_req: IncomingMessage, res: ServerResponse) => {
      if (!jwksAnswers) {
        res.writeHead(500);
        return void res.end();
      }
      res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
      res.end(JSON.stringify({ keys: served.map((key) => key.jwk) }));
    });
    backend = await startBackend();
    const jwt = `jwks_url: "${jwks.url}/.well-known/jwks.json", issuer: "${ISSUER}", audience: ${AUDIENCE}, algorithms: [RS256, ES256]`;
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  /api: { type: proxy, target: "${backend.url}", auth: { jwt: { ${jwt}, claims_to_headers: { sub: X-User, name: X-Name, roles: X-Roles }, token_cookie: session } } }`,
        `  /down: { type: proxy, target: "${backend.url}", auth: { jwt: { jwks_url: "${await deadAddress()}/jwks", issuer: "${ISSUER}", audience: ${AUDIENCE} } } }`,
      ].join('\n'),
      { PROX_TEST_CLOCK: 'offset' },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
    await jwks?.close();
  });

  it('passes a valid token: claims become headers (forgeries removed, CR/LF encoded), the token is not sent upstream', async () => {
    const answer = await get('/api/orders', { ...bearer(await token(first, { name: 'Alice\r\nX-Evil: 1', roles: ['admin', 'ops'] })), 'x-user': 'mallory' });
    expect(answer.status).toBe(200);
    const seen = JSON.parse(answer.body) as { headers: Record<string, string | undefined> };
    expect(seen.headers['x-user']).toBe('alice');
    expect(seen.headers['x-name']).toBe('Alice%0D%0AX-Evil: 1');
    expect(seen.headers['x-evil']).toBeUndefined();
    expect(seen.headers['x-roles']).toBe('["admin","ops"]');
    expect(seen.headers.authorization).toBeUndefined();
  });

  it('takes the token from the configured cookie when there is no Authorization header', async () => {
    const answer = await get('/api/orders', { cookie: `theme=dark; session=${await token(first)}` });
    expect(answer.status).toBe(200);
  });

  it('answers 401 with a Bearer challenge, never reaching the backend, for missing, expired, foreign, unsigned and HMAC tokens', async () => {
    const before = backend.received.length;
    const missing = await get('/api/orders');
    expect([missing.status, missing.headers['www-authenticate']]).toEqual([401, 'Bearer realm="prox"']);

    const refusals: [string, string][] = [
      [await token(first, {}, (jwt) => jwt.setIssuedAt(Math.floor(Date.now() / 1000) - 7200).setExpirationTime(Math.floor(Date.now() / 1000) - 3600)), 'the token expired'],
      [await token(first, {}, (jwt) => jwt.setAudience('billing')), 'the aud claim check failed'],
      [await token(first, {}, (jwt) => jwt.setIssuer('https://evil.test')), 'the iss claim check failed'],
      [new UnsecuredJWT({ sub: 'alice' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').encode(), 'the token algorithm is not allowed'],
      [
        await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS256', kid: 'k1' }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('1h').sign(new TextEncoder().encode('a shared secret of 32 bytes!!!!!')),
        'the token algorithm is not allowed',
      ],
      [(await token(first)).slice(0, -4) + 'AAAA', 'the signature does not verify'],
    ];
    for (const [value, reason] of refusals) {
      const answer = await get('/api/orders', bearer(value));
      expect([answer.status, answer.headers['www-authenticate']]).toEqual([401, `Bearer realm="prox", error="invalid_token", error_description="${reason}"`]);
    }
    expect(backend.received.length).toBe(before);
  });

  it('picks up a rotated key on its unknown kid, refetching the key set at most once per 30 s', async () => {
    const second = await signingKey('k2', 'ES256');
    served = [second];
    const rotated = await token(second);
    const fetchesBefore = jwks.received.length;

    // The set was fetched moments ago: an unknown kid now is refused without another fetch.
    const early = await get('/api/orders', bearer(rotated));
    expect(early.status).toBe(401);
    expect(early.headers['www-authenticate']).toContain('no key of the issuer matches the token');
    expect(jwks.received.length).toBe(fetchesBefore);

    await advance(31_000);
    expect((await get('/api/orders', bearer(rotated))).status).toBe(200);
    expect(jwks.received.length).toBe(fetchesBefore + 1);
    // Made-up kids right after a fetch cost nothing more.
    for (const kid of ['x1', 'x2', 'x3']) expect((await get('/api/orders', bearer(await token({ ...second, kid })))).status).toBe(401);
    expect(jwks.received.length).toBe(fetchesBefore + 1);
  });

  it('keeps verifying with the keys it has when the key set cannot be fetched again', async () => {
    const current = served[0];
    jwksAnswers = false;
    const fetchesBefore = jwks.received.length;
    await advance(601_000); // past jwks_cache_secs: the next request starts a background refetch, which fails
    expect((await get('/api/orders', bearer(await token(current)))).status).toBe(200);
    await advance(31_000);
    expect((await get('/api/orders', bearer(await token(current)))).status).toBe(200);
    expect(jwks.received.length).toBeGreaterThan(fetchesBefore);
    jwksAnswers = true;
  });

  it('answers 503 when no key set could ever be fetched, never passing the request', async () => {
    const before = backend.received.length;
    const answer = await get('/down/orders', bearer(await token(first)));
    expect(answer.status).toBe(503);
    expect(JSON.parse(answer.body)).toEqual({ error: 'auth_unavailable', status: 503 });
    expect(backend.received.length).toBe(before);
  });
});
