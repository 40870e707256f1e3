import bcrypt from 'bcryptjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend, type TestBackend } from '../support/backends';
import { startProx, type ProxProcess } from '../support/prox-process';
import { curl } from '../support/tls-clients';
import { describeEachEngine } from '../support/engines';

/** auth.basic with a real htpasswd file written by bcryptjs, real curl clients, both inbound engines. */

const ENGINES = ['uws', 'node', 'llhttp'] as const;

async function get(url: string, ...args: string[]): Promise<{ status: number; head: string; body: string }> {
  const result = await curl(['-D', '-', '-w', '\n%{http_code}', ...args, url]);
  const cut = result.stdout.lastIndexOf('\n');
  const text = result.stdout.slice(0, cut);
  const split = text.indexOf('\r\n\r\n');
  return { status: Number(result.stdout.slice(cut + 1)), head: text.slice(0, split).toLowerCase(), body: text.slice(split + 4) };
}

describeEachEngine(ENGINES, 'auth.basic on %s', (engine) => {
  let backend: TestBackend;
  let prox: ProxProcess;
  let users: string;

  beforeAll(async () => {
    backend = await startBackend((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`authorization=${req.headers.authorization ?? '(none)'}`);
    });
    const dir = mkdtempSync(join(tmpdir(), 'prox-basic-'));
    users = join(dir, 'htpasswd');
    writeFileSync(users, `alice:${bcrypt.hashSync('wonderland', 10)}\n`);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  /ops: { type: proxy, target: "${backend.url}", auth: { basic: { realm: ops, users_file: "${users}" } } }`,
        `  /keep: { type: proxy, target: "${backend.url}", auth: { basic: { users_file: "${users}", forward_credentials: true } } }`,
      ].join('\n'),
      { PROX_HTTP_SERVER: engine },
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await backend?.close();
  });

  it('lets a listed user through and removes the credentials before the backend', async () => {
    const answer = await get(`${prox.baseUrl}/ops/x`, '-u', 'alice:wonderland');
    expect([answer.status, answer.body]).toEqual([200, 'authorization=(none)']);
  });

  it('answers 401 with WWW-Authenticate to wrong, unknown and missing credentials, without a backend call', async () => {
    const before = backend.received.length;
    for (const args of [['-u', 'alice:wrong'], ['-u', 'bob:wonderland'], []]) {
      const answer = await get(`${prox.baseUrl}/ops/x`, ...args);
      expect(answer.status).toBe(401);
      expect(answer.head).toContain('www-authenticate: basic realm="ops", charset="utf-8"');
      expect(JSON.parse(answer.body)).toEqual({ error: 'unauthorized', status: 401 });
    }
    expect(backend.received.length).toBe(before);
  });

  it('forwards the credentials when configured', async () => {
    const answer = await get(`${prox.baseUrl}/keep/x`, '-u', 'alice:wonderland');
    expect(answer.body).toBe(`authorization=Basic ${Buffer.from('alice:wonderland').toString('base64')}`);
  });

  it('reads the users file again on reload', async () => {
    writeFileSync(users, `bob:${bcrypt.hashSync('builder', 10)}\n`);
    const reloaded = prox.nextLog('config reloaded');
    prox.child.kill('SIGHUP');
    await reloaded;
    expect((await get(`${prox.baseUrl}/ops/x`, '-u', 'bob:builder')).status).toBe(200);
    expect((await get(`${prox.baseUrl}/ops/x`, '-u', 'alice:wonderland')).status).toBe(401);
  });
});
