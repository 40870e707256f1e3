import type { IncomingMessage, ServerResponse } from 'node:http';
import { deadAddress, startBackend, type TestBackend } from '../support/backends';
import { makeTestCa } from '../support/certificates';
import { startHttpsBackend, type HttpsBackend } from '../support/https-backend';
import { send } from '../support/http-client';
import { describeEachEngine } from '../support/engines';
import { startProx, type ProxProcess } from '../support/prox-process';

/** auth.forward against a small real auth service (node:http), on both inbound engines. */

const ENGINES = ['uws', 'node', 'llhttp'] as const;

/** Lets `session=good` through as alice; `x-deny` gets 403 with its own body; the rest a login redirect; /slow never answers. */
function authService(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/slow') return; // never answers: prox's timeout decides
  if ((req.headers.cookie ?? '').includes('session=good')) {
    res.writeHead(200, { 'x-user': 'alice', 'x-not-copied': 'secret' });
    return void res.end();
  }
  if (req.headers['x-deny'] !== undefined) {
    res.writeHead(403, { 'content-type': 'text/plain', 'x-reason': 'banned' });
    return void res.end('go away');
  }
  res.writeHead(302, { location: 'https://login.example/?next=' + encodeURIComponent(String(req.headers['x-forwarded-uri'])) });
  res.end();
}

describeEachEngine(ENGINES, 'auth.forward on %s', (engine) => {
  let backend: TestBackend;
  let auth: TestBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ user: req.headers['x-user'] ?? null, authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null, notCopied: req.headers['x-not-copied'] ?? null }));
    });
    auth = await startBackend(authService);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  /app: { type: proxy, target: "${backend.url}", auth: { forward: { url: "${auth.url}/check", copy_request_headers: [Cookie, Authorization, X-Deny], copy_response_headers: [X-User] } } }`,
        `  /down: { type: proxy, target: "${backend.url}", auth: { forward: { url: "${await deadAddress()}/check" } } }`,
        `  /slow: { type: proxy, target: "${backend.url}", auth: { forward: { url: "${auth.url}/slow", timeout_secs: 0.3 } } }`,
      ].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
    await auth?.close();
  });

  it('lets a 2xx through with the named headers copied upstream, client forgeries removed, credentials dropped', async () => {
    const answer = await send(`${prox.baseUrl}/app/x?y=1`, { headers: { cookie: 'session=good', 'x-user': 'mallory', authorization: 'Bearer t' } });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ user: 'alice', authorization: null, cookie: 'session=good', notCopied: null });
    const check = auth.received.at(-1)!;
    expect(check.url).toBe('/check');
    expect(check.headers['x-forwarded-uri']).toBe('/app/x?y=1');
    expect(check.headers['x-forwarded-method']).toBe('GET');
    expect(check.headers.authorization).toBe('Bearer t');
  });

  it("returns any other answer of the auth service as is, without a backend call", async () => {
    const before = backend.received.length;
    const denied = await send(`${prox.baseUrl}/app/x`, { headers: { 'x-deny': '1' } });
    expect([denied.status, denied.body, denied.headers['x-reason'], denied.headers['content-type']]).toEqual([403, 'go away', 'banned', 'text/plain']);
    const redirected = await send(`${prox.baseUrl}/app/private`);
    expect(redirected.status).toBe(302);
    expect(redirected.headers.location).toBe('https://login.example/?next=%2Fapp%2Fprivate');
    expect(backend.received.length).toBe(before);
  });

  it('answers 503 when the auth service is down or too slow, never passing the request', async () => {
    const before = backend.received.length;
    for (const path of ['/down/x', '/slow/x']) {
      const answer = await send(`${prox.baseUrl}${path}`, { headers: { cookie: 'session=good' } });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toEqual({ error: 'auth_unavailable', status: 503 });
    }
    expect(backend.received.length).toBe(before);
  });
});

describe('auth.forward over TLS', () => {
  let backend: TestBackend;
  let trusted: HttpsBackend;
  let untrusted: HttpsBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    const ca = makeTestCa();
    backend = await startBackend();
    // Both answer 200 to every check; only the first one's certificate chains to a CA prox trusts.
    trusted = await startHttpsBackend(ca.issue('auth', ['127.0.0.1']));
    untrusted = await startHttpsBackend(makeTestCa().issue('impostor', ['127.0.0.1']));
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  /trusted: { type: proxy, target: "${backend.url}", auth: { forward: { url: "${trusted.url}/check" } } }`,
        `  /untrusted: { type: proxy, target: "${backend.url}", auth: { forward: { url: "${untrusted.url}/check" } } }`,
      ].join('\n'),
      { NODE_EXTRA_CA_CERTS: ca.certPath },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
    await trusted?.close();
    await untrusted?.close();
  });

  it('asks an https auth service whose certificate verifies', async () => {
    expect((await send(`${prox.baseUrl}/trusted/x`)).status).toBe(200);
    expect(trusted.serverNames.length).toBeGreaterThan(0);
  });

  it('answers 503 when the certificate of the auth service does not verify, never passing the request', async () => {
    const before = backend.received.length;
    const answer = await send(`${prox.baseUrl}/untrusted/x`);
    expect(answer.status).toBe(503);
    expect(backend.received.length).toBe(before);
  });
});
