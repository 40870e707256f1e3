import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startBackend, TestBackend } from '../support/backends';
import { nativeUwsBinaryLoads } from '../support/engines';
import { ProxProcess, runProxCli, startProx, writeTempConfig } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

/**
 * HTTP/1.0 clients: ApacheBench, `curl -0`, HAProxy's default `option httpchk`
 * (`OPTIONS / HTTP/1.0` without Host), old monitoring scripts. The default engine (`engine:
 * auto` → llhttp, prox's own server) and node:http answer every one of them at once. The µWebSockets build leaves them
 * unanswered until its idle timeout, which is why `auto` does not pick it (docs/http-semantics.md).
 */

const run = promisify(execFile);

const configFor = (backendUrl: string, engine: string | null): string => `
listen_addr: "127.0.0.1:0"
${engine === null ? '' : `engine: ${engine}`}
routes:
  "/api":
    type: proxy
    target: "${backendUrl}"
  "/files":
    type: static
    root: "${filesDir}"
`;

let backend: TestBackend;
// ApacheBench counts a body whose length differs from the first one as failed: a fixed file.
const filesDir = mkdtempSync(join(tmpdir(), 'prox-http10-'));
writeFileSync(join(filesDir, 'fixed.txt'), 'the same bytes every time\n');

beforeAll(async () => {
  backend = await startBackend();
});

afterAll(async () => {
  await backend?.close();
});

describe.each([
  ['the default engine (auto)', null, 'llhttp'],
  ['engine: llhttp', 'llhttp', 'llhttp'],
  ['engine: node', 'node', 'node:http'],
])('on %s', (_name, engine, label) => {
  let prox: ProxProcess;

  beforeAll(async () => {
    // An outer PROX_HTTP_SERVER (e.g. a whole-suite run on one engine) must not decide this.
    prox = await startProx(configFor(backend.url, engine), { PROX_HTTP_SERVER: '' });
  });

  afterAll(async () => {
    await prox?.stop();
  });

  it(`runs ${label} and logs why`, () => {
    const line = prox.logs.find((entry) => entry.msg === 'inbound engine');
    expect(line).toMatchObject({ engine: label, configured: engine ?? 'auto' });
  });

  it('serves a raw HTTP/1.0 request and closes the connection', async () => {
    const answer = await rawRequest(prox.port, 'GET /api/one-oh HTTP/1.0\r\nHost: prox.test\r\n\r\n');
    expect(answer.closedByServer).toBe(true);
    expect(statusCodes(answer.text)).toEqual([200]);
    expect(answer.text).toContain('/api/one-oh');
  });

  it('answers an HAProxy-style health check (HTTP/1.0, no Host) with a status instead of hanging', async () => {
    // HTTP/1.0 does not require Host, but prox routes by it: a clear 400 (configure the checker
    // to send Host, e.g. `http-check send hdr Host example.com`).
    const answer = await rawRequest(prox.port, 'OPTIONS / HTTP/1.0\r\n\r\n');
    expect(answer.closedByServer).toBe(true);
    expect(statusCodes(answer.text)).toEqual([400]);
  });

  it('serves curl -0', async () => {
    const { stdout } = await run('curl', ['-s', '-0', '-o', '/dev/null', '-w', '%{http_code} %{http_version}', `${prox.baseUrl}/api/curl-zero`]);
    expect(stdout).toBe('200 1.1');
  });

  it('serves every request of ApacheBench (ab -n 200 -c 4)', async () => {
    const { stdout } = await run('ab', ['-q', '-s', '30', '-n', '200', '-c', '4', `${prox.baseUrl}/files/fixed.txt`]);
    expect(stdout).toMatch(/Complete requests:\s+200\n/);
    expect(stdout).toMatch(/Failed requests:\s+0\n/);
    expect(stdout).not.toMatch(/Non-2xx responses/);
  });
});

/** About µWebSockets only: its native binary exists for Node 20 alone. */
if (nativeUwsBinaryLoads()) {
  describe('on engine: uws (µWebSockets)', () => {
    let prox: ProxProcess;

    beforeAll(async () => {
      prox = await startProx(configFor(backend.url, 'uws'), { PROX_HTTP_SERVER: '' });
    });

    afterAll(async () => {
      await prox?.stop();
    });

    it('runs µWebSockets because the config asks for it', () => {
      expect(prox.logs.find((entry) => entry.msg === 'inbound engine')).toMatchObject({ engine: 'µWebSockets', configured: 'uws', reason: 'engine: uws' });
    });

    it('leaves an HTTP/1.0 request unanswered and never forwards it (the known limitation auto avoids)', async () => {
      // Safety net only: uWS closes after its ~10 s idle timeout, well inside this.
      const answer = await rawRequest(prox.port, 'GET /api/uws-one-oh HTTP/1.0\r\nHost: prox.test\r\n\r\n', { timeoutMs: 30_000 });
      expect(answer.closedByServer).toBe(true);
      expect(answer.text).toBe('');
      const sentinel = await rawRequest(prox.port, 'GET /api/uws-sentinel HTTP/1.1\r\nHost: prox.test\r\nConnection: close\r\n\r\n');
      expect(statusCodes(sentinel.text)).toEqual([200]);
      expect(backend.received.map((r) => r.url)).not.toContain('/api/uws-one-oh');
    }, 60_000);
  });
} else {
  describe('engine: uws where µWebSockets has no native binary', () => {
    it('is refused at startup with the reason, not replaced by a slow fallback', async () => {
      const file = writeTempConfig(configFor(backend.url, 'uws'));
      const result = await runProxCli(['serve', '--config', file], { PROX_HTTP_SERVER: '' });
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('engine: uws asks for µWebSockets, which cannot run here');
    });
  });
}

it('prox validate names the engine in use and why', async () => {
  const file = writeTempConfig(configFor(backend.url, null));
  const result = await runProxCli(['validate', '--config', file], { PROX_HTTP_SERVER: '' });
  expect(result.code).toBe(0);
  expect(result.stdout).toContain("engine: llhttp (engine: auto uses llhttp (prox's own HTTP/1.1 server on Node's parser), which answers every client");
  const forced = await runProxCli(['validate', '--config', file, '--format', 'json'], { PROX_HTTP_SERVER: 'node' });
  expect(JSON.parse(forced.stdout).summary.engine).toEqual({ inUse: 'node', configured: 'auto', reason: 'PROX_HTTP_SERVER=node overrides engine: auto', problem: null });
});
