import { startBackend, TestBackend } from '../support/backends';
import { ProxProcess, runProxCli, startProx, writeTempConfig } from '../support/prox-process';

/**
 * `admin.token`: the admin endpoints on the public listener (public_path) answer only with
 * `Authorization: Bearer <token>`, except /healthz and /readyz (orchestrator probes); the
 * loopback admin listener stays open; /config never shows the token. A non-loopback admin
 * listener is checked the same way (unit tests: test/app); tests stay on loopback.
 */

const TOKEN = 'integration-token-7c1f0e9a2b4d';

let backend: TestBackend;
let prox: ProxProcess;

beforeAll(async () => {
  backend = await startBackend();
  prox = await startProx(`
listen_addr: "127.0.0.1:0"
admin:
  listen_addr: "127.0.0.1:0"
  public_path: /_prox
  token: ${TOKEN}
routes:
  "/":
    type: proxy
    target: "${backend.url}"
`);
});

afterAll(async () => {
  await prox?.stop();
  await backend?.close();
});

const bearer = { authorization: `Bearer ${TOKEN}` };

it.each(['/_prox/metrics', '/_prox/config', '/_prox/routes', '/_prox/backends'])('answers %s on the public listener 401 without the token, and with a wrong one', async (path) => {
  const none = await fetch(prox.baseUrl + path);
  expect(none.status).toBe(401);
  expect(none.headers.get('www-authenticate')).toBe('Bearer');
  expect(await none.json()).toMatchObject({ error: 'unauthorized' });
  const wrong = await fetch(prox.baseUrl + path, { headers: { authorization: `Bearer ${TOKEN}x` } });
  expect(wrong.status).toBe(401);
  const lowerScheme = await fetch(prox.baseUrl + path, { headers: { authorization: `Basic ${TOKEN}` } });
  expect(lowerScheme.status).toBe(401);
});

it('serves the public endpoints with the token', async () => {
  const metrics = await fetch(`${prox.baseUrl}/_prox/metrics`, { headers: bearer });
  expect(metrics.status).toBe(200);
  expect(await metrics.text()).toContain('prox_requests_total');
});

it('keeps /healthz and /readyz open on the public listener for probes', async () => {
  expect((await fetch(`${prox.baseUrl}/_prox/healthz`)).status).toBe(200);
  expect((await fetch(`${prox.baseUrl}/_prox/readyz`)).status).toBe(200);
});

it('leaves the loopback admin listener open', async () => {
  expect((await fetch(`${prox.adminUrl}/metrics`)).status).toBe(200);
  expect((await fetch(`${prox.adminUrl}/config`)).status).toBe(200);
});

it('never shows the token in /config', async () => {
  for (const answer of [await fetch(`${prox.adminUrl}/config`), await fetch(`${prox.baseUrl}/_prox/config`, { headers: bearer })]) {
    const text = await answer.text();
    expect(answer.status).toBe(200);
    expect(text).not.toContain(TOKEN);
    expect(JSON.parse(text).config.admin.token).toBe('[redacted]');
  }
});

it('prox validate refuses public_path and a non-loopback admin listener without a token, with line and hint', async () => {
  const file = writeTempConfig(`listen_addr: "127.0.0.1:0"
admin:
  listen_addr: "0.0.0.0:9901"
  public_path: /_prox
routes:
  "/": { type: proxy, target: "${backend.url}" }
`);
  const result = await runProxCli(['validate', '--config', file]);
  expect(result.code).toBe(1);
  expect(result.stdout).toContain(`${file}:3:16  error  admin.listen_addr  admin.listen_addr 0.0.0.0:9901 is reachable beyond this host: the admin endpoints there need admin.token`);
  expect(result.stdout).toContain(`${file}:4:16  error  admin.public_path  admin.public_path exposes the admin endpoints on the public listener: it needs admin.token`);
  expect(result.stdout).toContain('hint: set admin.token');
});
