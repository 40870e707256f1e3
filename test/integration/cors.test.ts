import { deadAddress, startBackend, type TestBackend } from '../support/backends';
import { headerValues, send, type ClientResponse } from '../support/http-client';
import { startProx, type ProxProcess } from '../support/prox-process';
import { describeEachEngine } from '../support/engines';

/** CORS answered at the edge, on both inbound engines, with a real backend that sets its own CORS headers. */

const ENGINES = ['uws', 'node', 'llhttp'] as const;
const APP = 'https://app.example.com';

function one(response: ClientResponse, name: string): string | undefined {
  const values = headerValues(response.rawHeaders, name);
  expect(values.length).toBeLessThanOrEqual(1);
  return values[0];
}

describeEachEngine(ENGINES, 'cors on %s', (engine) => {
  let backend: TestBackend;
  let prox: ProxProcess;

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      // A backend with its own (too generous) CORS answer: the edge's replaces it.
      res.writeHead(200, { 'content-type': 'text/plain', 'access-control-allow-origin': '*', 'x-total': '42' });
      res.end(`backend ${req.method} ${req.url}`);
    });
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        '  /api:',
        '    type: proxy',
        `    target: "${backend.url}"`,
        `    cors: { allow_origins: ["${APP}"], allow_methods: [GET, POST, DELETE], allow_headers: [Content-Type, Authorization], expose_headers: [X-Total], allow_credentials: true, max_age_secs: 600 }`,
        '  /public:',
        '    type: proxy',
        `    target: "${backend.url}"`,
        '    cors: { allow_origins: ["*"] }',
        '  /gone:',
        '    type: proxy',
        `    target: "${await deadAddress()}"`,
        `    cors: { allow_origins: ["${APP}"] }`,
      ].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('answers a preflight at the edge without touching the backend', async () => {
    const before = backend.received.length;
    const response = await send(`${prox.baseUrl}/api/items/7`, {
      method: 'OPTIONS',
      headers: { origin: APP, 'access-control-request-method': 'DELETE', 'access-control-request-headers': 'authorization' },
    });
    expect(response.status).toBe(204);
    expect(response.body).toBe('');
    expect(one(response, 'access-control-allow-origin')).toBe(APP);
    expect(one(response, 'access-control-allow-methods')).toBe('GET, POST, DELETE');
    expect(one(response, 'access-control-allow-headers')).toBe('Content-Type, Authorization');
    expect(one(response, 'access-control-allow-credentials')).toBe('true');
    expect(one(response, 'access-control-max-age')).toBe('600');
    expect(headerValues(response.rawHeaders, 'vary').join(',')).toMatch(/origin/);
    expect(backend.received.length).toBe(before);
  });

  it('grants an allowed origin on the actual request, replacing the backend CORS headers', async () => {
    const response = await send(`${prox.baseUrl}/api/items`, { headers: { origin: APP } });
    expect([response.status, response.body]).toEqual([200, 'backend GET /api/items']);
    expect(one(response, 'access-control-allow-origin')).toBe(APP);
    expect(one(response, 'access-control-allow-credentials')).toBe('true');
    expect(one(response, 'access-control-expose-headers')).toBe('X-Total');
    expect(headerValues(response.rawHeaders, 'vary')).toContain('origin');
  });

  it('gives a disallowed origin no CORS headers at all, preflight or not', async () => {
    const preflight = await send(`${prox.baseUrl}/api/items`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    const actual = await send(`${prox.baseUrl}/api/items`, { headers: { origin: 'https://evil.example' } });
    for (const response of [preflight, actual]) {
      expect(response.rawHeaders.filter((name, i) => i % 2 === 0 && name.toLowerCase().startsWith('access-control-'))).toEqual([]);
      expect(headerValues(response.rawHeaders, 'vary').join(',')).toMatch(/origin/);
    }
    expect(preflight.status).toBe(204);
    expect(actual.status).toBe(200);
  });

  it('sends * to any origin on a route without credentials', async () => {
    const response = await send(`${prox.baseUrl}/public/x`, { headers: { origin: 'https://anyone.example' } });
    expect(one(response, 'access-control-allow-origin')).toBe('*');
    expect(one(response, 'access-control-allow-credentials')).toBeUndefined();
  });

  it("puts the grant on prox's own error answers too", async () => {
    const response = await send(`${prox.baseUrl}/gone/x`, { headers: { origin: APP } });
    expect(response.status).toBe(502);
    expect(one(response, 'access-control-allow-origin')).toBe(APP);
  });
});
