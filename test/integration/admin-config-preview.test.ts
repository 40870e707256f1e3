import { readFileSync, writeFileSync } from 'node:fs';
import { startBackend, TestBackend } from '../support/backends';
import { ProxProcess, runProxCli, startProx, writeTempConfig } from '../support/prox-process';
import { curl } from '../support/tls-clients';

/**
 * The running prox answers what `prox diff` answers offline: `POST /config/diff` with a
 * candidate config in the body, and `POST /reload?dry_run=1` for the file on disk. Nothing is
 * applied. Both admin ports serve them: the admin listener (loopback, open) and
 * `admin.public_path` on the public listener (behind admin.token).
 */

const TOKEN = 'preview-token-5e0c2a9d7b31';
const bearer = { authorization: `Bearer ${TOKEN}` };

let backend: TestBackend;
let prox: ProxProcess;
let runningText: string;

beforeAll(async () => {
  backend = await startBackend();
  // --no-watch: the dry run reads a changed file that must not be applied behind the test's back.
  prox = await startProx(
    `listen_addr: "127.0.0.1:0"
admin:
  listen_addr: "127.0.0.1:0"
  public_path: /_prox
  token: ${TOKEN}
routes:
  "/api": { type: proxy, target: "${backend.url}", path_rewrite: "/v2" }
`,
    {},
    'config.yaml',
    ['--no-watch'],
  );
  runningText = readFileSync(prox.configFile, 'utf8');
});

afterAll(async () => {
  await prox?.stop();
  await backend?.close();
});

afterEach(() => writeFileSync(prox.configFile, runningText));

/** What `prox diff --format json RUNNING CANDIDATE` prints for the same candidate. */
async function offlineDiff(candidateFile: string, runningFile = writeTempConfig(runningText)): Promise<unknown> {
  const diff = await runProxCli(['diff', '--format', 'json', runningFile, candidateFile]);
  expect(diff.code).toBe(1);
  return JSON.parse(diff.stdout);
}

function postDiff(url: string, candidate: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', body: candidate, headers: { 'content-type': 'application/yaml', ...headers } });
}

/** The running config still routes /api/x to the backend as /v2/x. */
async function expectRunningConfigKept(): Promise<void> {
  const answer = await fetch(`${prox.baseUrl}/api/x`);
  expect(answer.status).toBe(200);
  expect(backend.received.at(-1)?.url).toBe('/v2/x');
}

/** The 1-based line of the first line containing `text`. */
const lineOf = (yaml: string, text: string): number => yaml.split('\n').findIndex((line) => line.includes(text)) + 1;

const changed = (): string =>
  runningText.replace('path_rewrite: "/v2"', 'path_rewrite: "/v3"') + `  "/new": { type: redirect, target: "https://example.com/" }\n`;

describe('POST /config/diff', () => {
  it.each([
    ['the admin listener', () => `${prox.adminUrl}/config/diff`, {}],
    ['admin.public_path (with the token)', () => `${prox.baseUrl}/_prox/config/diff`, bearer],
  ])('on %s answers the JSON of prox diff --format json against the running config, and applies nothing', async (_name, url, headers) => {
    const hashBefore = ((await (await fetch(`${prox.adminUrl}/config`)).json()) as { hash: string }).hash;
    const candidate = changed();
    const answer = await postDiff(url(), candidate, headers);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toBe('application/json');
    const diff = await answer.json();
    expect(diff).toEqual(await offlineDiff(writeTempConfig(candidate)));
    expect(diff).toMatchObject({ changed: true, routesAdded: ['/new'], routesChanged: [{ key: '/api', fields: ['path_rewrite'] }] });

    expect(((await (await fetch(`${prox.adminUrl}/config`)).json()) as { hash: string }).hash).toBe(hashBefore);
    await expectRunningConfigKept();
  });

  it('answers changed: false for the running config itself', async () => {
    const answer = await postDiff(`${prox.adminUrl}/config/diff`, runningText);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ changed: false, routesAdded: [], routesRemoved: [], routesChanged: [], settings: [] });
  });

  it('never prints a file the candidate names: an error page shows by size and hash', async () => {
    const secretFile = writeTempConfig('private key material\n', 'key.pem');
    const candidate = runningText.replace('routes:', `errors: { 502: { file: "${secretFile}", type: text } }\nroutes:`);
    const answer = await postDiff(`${prox.adminUrl}/config/diff`, candidate);
    expect(answer.status).toBe(200);
    const text = await answer.text();
    expect(text).not.toContain('private key material');
    expect(JSON.parse(text).settings).toEqual([expect.objectContaining({ setting: 'errors', after: [expect.objectContaining({ status: 502, body_bytes: 21 })] })]);
  });

  it('reads another proxy format the loader detects: Apex TOML by its content type', async () => {
    const apex = `[server]
listen = "127.0.0.1:0"

[[routes]]
name = "api"
path_prefix = "/api"
backends = [{ url = "${backend.url}" }]

[prox.admin]
listen_addr = "127.0.0.1:0"
`;
    const answer = await postDiff(`${prox.adminUrl}/config/diff`, apex, { 'content-type': 'application/toml' });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(await offlineDiff(writeTempConfig(apex, 'apex.toml'), writeTempConfig(runningText)));
  });

  it('refuses an invalid candidate with 422 and diagnostics that carry the line and a hint', async () => {
    const candidate = runningText.replace(`target: "${backend.url}"`, 'target: "ftp://x"');
    const answer = await postDiff(`${prox.adminUrl}/config/diff`, candidate);
    expect(answer.status).toBe(422);
    const body = (await answer.json()) as { error: string; valid: boolean; errors: { line: number; message: string; hint: string | null }[] };
    expect(body).toMatchObject({ error: 'invalid_config', valid: false });
    expect(body.errors).toEqual([expect.objectContaining({ severity: 'error', line: lineOf(candidate, 'ftp://x'), path: '/routes/~1api/target', hint: expect.any(String) })]);
    expect(body.errors[0]!.message).toContain('ftp://');
    await expectRunningConfigKept();
  });

  it('answers 405 to any method but POST, 401 on public_path without the token', async () => {
    for (const url of [`${prox.adminUrl}/config/diff`, `${prox.adminUrl}/reload?dry_run=1`]) {
      const answer = await fetch(url);
      expect(answer.status).toBe(405);
      expect(await answer.json()).toEqual({ error: 'method_not_allowed', allowed: ['POST'] });
    }
    expect((await postDiff(`${prox.baseUrl}/_prox/config/diff`, runningText)).status).toBe(401);
    expect((await fetch(`${prox.baseUrl}/_prox/reload?dry_run=1`, { method: 'POST' })).status).toBe(401);
  });

  it.each([
    ['the admin listener', 'Content-Length', () => `${prox.adminUrl}/config/diff`],
    ['the admin listener', 'chunked', () => `${prox.adminUrl}/config/diff`],
    ['admin.public_path', 'Content-Length', () => `${prox.baseUrl}/_prox/config/diff`],
    ['admin.public_path', 'chunked', () => `${prox.baseUrl}/_prox/config/diff`],
  ])('refuses a candidate over 1 MiB on %s (%s) with 413', async (_name, framing, url) => {
    const big = writeTempConfig(`# ${'x'.repeat(1024 * 1024)}\n${runningText}`);
    const chunked = framing === 'chunked' ? ['-H', 'transfer-encoding: chunked'] : [];
    const answer = await curl(['-o', '-', '-w', '\n%{http_code}', ...chunked, '-H', 'content-type: application/yaml', '-H', `authorization: Bearer ${TOKEN}`, '--data-binary', `@${big}`, url()]);
    const [body, status] = [answer.stdout.slice(0, answer.stdout.lastIndexOf('\n')), answer.stdout.slice(answer.stdout.lastIndexOf('\n') + 1)];
    expect(status).toBe('413');
    expect(JSON.parse(body)).toMatchObject({ error: 'payload_too_large', limit_bytes: 1024 * 1024 });
    await expectRunningConfigKept();
  });
});

describe('POST /reload?dry_run=1', () => {
  it.each([
    ['the admin listener', () => `${prox.adminUrl}/reload?dry_run=1`, {}],
    ['admin.public_path (with the token)', () => `${prox.baseUrl}/_prox/reload?dry_run=1`, bearer],
  ])('on %s validates the file on disk and answers what a reload would change, applying nothing', async (_name, url, headers) => {
    const runningCopy = writeTempConfig(runningText);
    writeFileSync(prox.configFile, changed());
    const answer = await fetch(url(), { method: 'POST', headers });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ dry_run: true, file: prox.configFile, valid: true, errors: [] });
    expect(body.diff).toEqual(await offlineDiff(prox.configFile, runningCopy));
    await expectRunningConfigKept();
  });

  it('answers 422 with the errors (line, hint) and the warnings of an invalid file; the running config stays', async () => {
    const broken = runningText.replace(`target: "${backend.url}"`, 'target: "ftp://x"');
    writeFileSync(prox.configFile, broken);
    const answer = await fetch(`${prox.adminUrl}/reload?dry_run=1`, { method: 'POST' });
    expect(answer.status).toBe(422);
    const body = (await answer.json()) as { errors: { line: number; hint: string | null; file: string }[] };
    expect(body).toMatchObject({ error: 'invalid_config', dry_run: true, valid: false, diff: null, file: prox.configFile });
    expect(body.errors).toEqual([expect.objectContaining({ file: prox.configFile, line: lineOf(broken, 'ftp://x'), hint: expect.any(String) })]);
    await expectRunningConfigKept();
  });

  it('carries route-lint warnings with their lines, as prox validate shows them', async () => {
    const looping = runningText + `  "/a": { type: redirect, target: "/b" }\n  "/b": { type: redirect, target: "/a" }\n`;
    writeFileSync(prox.configFile, looping);
    const answer = await fetch(`${prox.adminUrl}/reload?dry_run=1`, { method: 'POST' });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { warnings: { line: number; message: string }[] };
    expect(body.warnings).toContainEqual(expect.objectContaining({ line: lineOf(looping, '"/a"'), message: expect.stringContaining('redirect loop') }));
  });

  it('refuses a real reload: only the dry run is served', async () => {
    const answer = await fetch(`${prox.adminUrl}/reload`, { method: 'POST' });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toMatchObject({ error: 'bad_request' });
  });
});

describe('with workers: 2 (the supervisor answers)', () => {
  let workers: ProxProcess;

  beforeAll(async () => {
    workers = await startProx(`listen_addr: "127.0.0.1:0"\nworkers: 2\nroutes:\n  "/api": { type: proxy, target: "${backend.url}" }\n`, {}, 'config.yaml', ['--no-watch']);
  });

  afterAll(async () => {
    await workers?.stop();
  });

  it('answers POST /config/diff and POST /reload?dry_run=1 against the running config', async () => {
    const running = readFileSync(workers.configFile, 'utf8');
    const candidate = running.replace(`target: "${backend.url}"`, `target: "${backend.url}", path_rewrite: "/v9"`);
    const answer = await postDiff(`${workers.adminUrl}/config/diff`, candidate);
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual(await offlineDiff(writeTempConfig(candidate), writeTempConfig(running)));

    const unchanged = await fetch(`${workers.adminUrl}/reload?dry_run=1`, { method: 'POST' });
    expect(unchanged.status).toBe(200);
    expect(await unchanged.json()).toMatchObject({ dry_run: true, valid: true, diff: { changed: false } });
  });
});
