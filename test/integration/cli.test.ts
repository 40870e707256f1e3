import { once } from 'node:events';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { startBackend } from '../support/backends';
import { runProxCli, startProx, withTestAdmin, writeTempConfig } from '../support/prox-process';
import packageJson from '../../package.json';

const VALID = `listen_addr: "127.0.0.1:0"
routes:
  "/": { type: proxy, target: "http://127.0.0.1:9" }
`;

describe('prox CLI', () => {
  it('prints help and version', async () => {
    const help = await runProxCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/serve/);
    expect(help.stdout).toMatch(/validate/);
    const version = await runProxCli(['--version']);
    expect(version.code).toBe(0);
    expect(version.stdout.trim()).toBe(packageJson.version);
  });

  it('validate exits 0 for a valid file, 1 with file:line:col for an invalid one, 2 for a missing one', async () => {
    expect((await runProxCli(['validate', '--config', writeTempConfig(VALID)])).code).toBe(0);
    const invalidFile = writeTempConfig(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "ftp://x" }\n`);
    const invalid = await runProxCli(['validate', '--config', invalidFile]);
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toContain(`${invalidFile}:3:`);
    expect((await runProxCli(['validate', '--config', '/nonexistent/prox.yaml'])).code).toBe(2);
  });

  it('validate takes the file from PROX_CONFIG', async () => {
    const result = await runProxCli(['validate', '--format', 'json'], { PROX_CONFIG: writeTempConfig(VALID) });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).valid).toBe(true);
  });

  it('serve refuses an invalid config with exit 1', async () => {
    const result = await runProxCli(['serve', '--config', writeTempConfig('listen_addr: nope\nroutes: {}\n')]);
    expect(result.code).toBe(1);
  });

  it.each([1, 2])('serve with workers: %i refuses a port another prox already listens on', async (workers) => {
    const first = await startProx('listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: redirect, target: "/x" }\n');
    try {
      const config = withTestAdmin(`listen_addr: "127.0.0.1:${first.port}"\nworkers: ${workers}\nroutes:\n  "/": { type: redirect, target: "/y" }\n`);
      const second = await runProxCli(['serve', '--config', writeTempConfig(config)]);
      expect(second.code).toBe(1);
      expect(second.stdout).toContain(`cannot listen on 127.0.0.1:${first.port}: address already in use`);
    } finally {
      await first.stop();
    }
  });

  it('on SIGTERM lets an in-flight request finish, then exits 0', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
    const slow = await startBackend((_req, res) => {
      arrived();
      void released.then(() => res.end('finished'));
    });
    const prox = await startProx(`listen_addr: "127.0.0.1:0"\nshutdown_timeout_secs: 30\nroutes:\n  "/": { type: proxy, target: "${slow.url}" }\n`);
    try {
      const req = httpRequest(`${prox.baseUrl}/slow`, { agent: false });
      req.end();
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      await requestArrived;
      const draining = prox.nextLog('draining');
      const exit = once(prox.child, 'exit');
      prox.child.kill('SIGTERM');
      await draining;
      release();
      const [res] = await response;
      let body = '';
      for await (const chunk of res) body += String(chunk);
      expect(body).toBe('finished');
      const [code] = await exit;
      expect(code).toBe(0);
    } finally {
      await prox.stop();
      await slow.close();
    }
  });
});

describe('prox serve with a broken log pipe', () => {
  it('keeps serving and still exits 0 on SIGTERM after the log reader went away', async () => {
    const { spawn } = await import('node:child_process');
    const { PROX_BIN } = await import('../support/prox-process');
    const { send } = await import('../support/http-client');
    const file = writeTempConfig(withTestAdmin(VALID));
    const child = spawn(process.execPath, [PROX_BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'ignore'] });
    try {
      let text = '';
      child.stdout!.setEncoding('utf8');
      while (!text.includes('"msg":"listening"')) {
        const [chunk] = (await once(child.stdout!, 'data')) as [string];
        text += chunk;
      }
      const port = Number(/"address":"127\.0\.0\.1:(\d+)","protocol"/.exec(text)![1]);
      // The reader goes away: every later log write fails with EPIPE.
      child.stdout!.destroy();
      // Each of these logs an upstream failure into the broken pipe.
      for (let i = 0; i < 5; i++) expect((await send(`http://127.0.0.1:${port}/x${i}`)).status).toBe(502);
      const exit = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exit;
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
