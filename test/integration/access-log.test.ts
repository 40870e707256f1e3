import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend, TestBackend } from '../support/backends';
import { send } from '../support/http-client';
import { startProx } from '../support/prox-process';

describe('access log', () => {
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend((req, res) => res.end(`seen ${req.headers['x-request-id']}`));
  });

  afterAll(async () => {
    await backend.close();
  });

  it('writes JSON lines with the request id, and nothing for a route that turned it off', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prox-access-')), 'access.log');
    const startedAt = Date.now();
    const prox = await startProx(`listen_addr: "127.0.0.1:0"
access_log: { path: "${file}" }
routes:
  "/app": { type: proxy, target: "${backend.url}" }
  "/quiet": { type: proxy, target: "${backend.url}", access_log: false }
`);
    const app = await send(`${prox.baseUrl}/app/page?x=1`, { headers: { 'x-request-id': 'trace-1', 'user-agent': 'jest' } });
    expect(app.body).toBe('seen trace-1');
    expect(app.headers['x-request-id']).toBe('trace-1');
    const generated = await send(`${prox.baseUrl}/app/other`);
    const generatedId = String(generated.headers['x-request-id']);
    expect(generated.body).toBe(`seen ${generatedId}`);
    await send(`${prox.baseUrl}/quiet/x`);
    await send(`${prox.baseUrl}/missing`);
    expect(await prox.stop()).toBe(0);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => [line.request_id, line.path, line.status, line.route])).toEqual([
      ['trace-1', '/app/page?x=1', 200, '/app'],
      [generatedId, '/app/other', 200, '/app'],
      [expect.any(String), '/missing', 404, '__none__'],
    ]);
    expect(lines[0]).toMatchObject({ type: 'access', method: 'GET', client_ip: '127.0.0.1', backend: backend.url, retries: 0, error: null });
    expect(lines[2]).toMatchObject({ backend: null, error: 'no_route' });
    for (const line of lines) {
      expect(line.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      expect(Date.parse(String(line.time))).toBeGreaterThanOrEqual(startedAt);
      expect(Date.parse(String(line.time))).toBeLessThanOrEqual(Date.now());
    }
  });

  it('writes the combined format when asked', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'prox-access-')), 'access.log');
    const prox = await startProx(`listen_addr: "127.0.0.1:0"
access_log: { path: "${file}", format: combined }
routes:
  "/": { type: proxy, target: "${backend.url}" }
`);
    await send(`${prox.baseUrl}/a?b=1`, { headers: { 'user-agent': 'agent "1.0"', 'x-request-id': 'c-1' } });
    expect(await prox.stop()).toBe(0);
    const line = readFileSync(file, 'utf8').trim();
    expect(line).toMatch(/^127\.0\.0\.1 - - \[\d{2}\/\w{3}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/a\?b=1 HTTP\/1\.1" 200 \d+ "-" "agent \\x221\.0\\x22" c-1 [\d.]+$/);
  });
});
