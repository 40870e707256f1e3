import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadAddress } from '../support/backends';
import { send } from '../support/http-client';
import { startProx, withTestAdmin } from '../support/prox-process';
import type { ProxProcess } from '../support/prox-process';

describe('custom error responses', () => {
  let prox: ProxProcess;
  let dead: string;
  let pageFile: string;

  function config(notFoundBody: string): string {
    return `listen_addr: "127.0.0.1:0"
errors:
  404: { type: html, body: "${notFoundBody}" }
  502: { type: html, file: "${pageFile}" }
routes:
  "/api":
    type: proxy
    target: "${dead}"
    errors:
      502: { body: { error: "api unavailable", docs: "https://status.example" } }
  "/site": { type: proxy, target: "${dead}" }
  "/cb":
    type: proxy
    target: "${dead}"
    circuit_breaker: { max_failures: 1, timeout_secs: 60 }
    errors:
      503: { type: text, body: "maintenance" }
  "/limited":
    type: redirect
    target: "/elsewhere"
    rate_limit: { by: route, requests: 1, period: "1h" }
    errors:
      429: { type: text, body: "slow down" }
`;
  }

  beforeAll(async () => {
    dead = await deadAddress();
    pageFile = join(mkdtempSync(join(tmpdir(), 'prox-pages-')), '502.html');
    writeFileSync(pageFile, '<h1>Bad gateway</h1>\n');
    prox = await startProx(config('<h1>Not here</h1>'));
  });

  afterAll(async () => {
    await prox.stop();
  });

  it('answers an unmatched request with the top-level 404 page and the request id', async () => {
    const response = await send(`${prox.baseUrl}/nowhere`, { headers: { 'x-request-id': 'trace-404' } });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-length']).toBe(String('<h1>Not here</h1>'.length));
    expect(response.headers['x-request-id']).toBe('trace-404');
    expect(response.body).toBe('<h1>Not here</h1>');
  });

  it('uses the page file for a route without its own page', async () => {
    const response = await send(`${prox.baseUrl}/site/x`);
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toBe('<h1>Bad gateway</h1>\n');
    expect(response.headers['x-request-id']).toEqual(expect.any(String));
  });

  it("uses the route's own page over the top-level one", async () => {
    const response = await send(`${prox.baseUrl}/api/x`, { headers: { 'x-request-id': 'trace-502' } });
    expect(response.status).toBe(502);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ error: 'api unavailable', docs: 'https://status.example' });
    expect(response.headers['x-request-id']).toBe('trace-502');
  });

  it('keeps Retry-After on a custom 503 when no backend is available', async () => {
    expect((await send(`${prox.baseUrl}/cb/x`)).status).toBe(502); // opens the breaker
    const response = await send(`${prox.baseUrl}/cb/x`);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(response.body).toBe('maintenance');
    expect(Number(response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });

  it('uses the page for a rate-limit refusal without its own message', async () => {
    expect((await send(`${prox.baseUrl}/limited`)).status).toBe(307);
    const refused = await send(`${prox.baseUrl}/limited`);
    expect(refused.status).toBe(429);
    expect(refused.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(refused.body).toBe('slow down');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refused.headers['ratelimit']).toMatch(/^"default";r=0;t=\d+$/);
  });

  it('sends the headers of a custom page without its body to HEAD', async () => {
    const response = await send(`${prox.baseUrl}/nowhere`, { method: 'HEAD' });
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toBe('');
  });

  it('picks up changed pages on reload', async () => {
    const reloaded = prox.nextLog('config reloaded');
    writeFileSync(prox.configFile, withTestAdmin(config('<h1>Moved on</h1>')));
    await reloaded;
    const response = await send(`${prox.baseUrl}/nowhere`);
    expect(response.body).toBe('<h1>Moved on</h1>');
  });
});
