import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DockerfileParser } from 'dockerfile-ast';
import { freeLoopbackPort } from '../support/ports';
import { ProxProcess, startProx } from '../support/prox-process';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * What deploy/Dockerfile does, without docker: its build stage's COPY lines applied to a clean
 * directory, its RUN scripts run there, and the result started the way the runtime stage does;
 * the HEALTHCHECK script against a real prox.
 */
describe('deploy/Dockerfile steps on a clean copy', () => {
  let work: string;

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'prox-image-'));
  });

  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('the build stage (COPY, then deploy/docker/build.sh) yields dist/ and production dependencies only, and that runs prox', async () => {
    const instructions = DockerfileParser.parse(readFileSync(join(ROOT, 'deploy', 'Dockerfile'), 'utf8')).getInstructions();
    const froms = instructions.flatMap((instruction, index) => (instruction.getKeyword() === 'FROM' ? [index] : []));
    const buildStage = instructions.slice(froms[0] + 1, froms[1]);
    expect(buildStage.filter((i) => i.getKeyword() === 'RUN')).toHaveLength(1);
    for (const instruction of buildStage) {
      const args = instruction.getArguments().map((a) => a.getValue());
      if (instruction.getKeyword() === 'COPY') {
        const destination = join(work, args[args.length - 1]);
        for (const source of args.slice(0, -1)) {
          const target = args[args.length - 1].endsWith('/') && !source.endsWith('/') ? join(destination, source) : destination;
          mkdirSync(join(target, '..'), { recursive: true });
          cpSync(join(ROOT, source), target, { recursive: true });
        }
      } else if (instruction.getKeyword() === 'RUN') {
        await run(join(work, args[0]), [], { cwd: work, maxBuffer: 16 * 1024 * 1024 });
      }
    }
    expect(existsSync(join(work, 'dist', 'cli', 'main.js'))).toBe(true);
    expect(existsSync(join(work, 'node_modules', 'ioredis'))).toBe(true);
    expect(existsSync(join(work, 'node_modules', 'jest'))).toBe(false);
    expect(existsSync(join(work, 'node_modules', 'typescript'))).toBe(false);
    // The runtime stage's config, with its static root where this copy has one.
    mkdirSync(join(work, 'static'));
    writeFileSync(join(work, 'static', 'index.html'), 'placeholder');
    const config = readFileSync(join(ROOT, 'deploy', 'docker', 'config.yaml'), 'utf8').replace('"/app/static"', JSON.stringify(join(work, 'static')));
    writeFileSync(join(work, 'config.yaml'), config);
    const validated = await run(process.execPath, [join(work, 'dist', 'cli', 'main.js'), 'validate', '--config', join(work, 'config.yaml')], { cwd: work });
    expect(validated.stdout + validated.stderr).not.toMatch(/error/i);
  }, 600_000);

  describe('HEALTHCHECK script', () => {
    let prox: ProxProcess;

    beforeAll(async () => {
      prox = await startProx('listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: redirect, target: "https://example.org" }\n');
    });

    afterAll(async () => {
      await prox.stop();
    });

    const healthcheck = (url: string) =>
      run(process.execPath, [join(ROOT, 'deploy', 'docker', 'healthcheck.mjs')], { env: { ...process.env, PROX_HEALTHCHECK_URL: url } }).then(
        () => 0,
        (error: { code: number }) => error.code,
      );

    it('exits 0 while the admin /healthz answers', async () => {
      expect(await healthcheck(`${prox.adminUrl}/healthz`)).toBe(0);
    });

    it('exits 1 when nothing answers', async () => {
      expect(await healthcheck(`http://127.0.0.1:${await freeLoopbackPort()}/healthz`)).toBe(1);
    });
  });

  it('the systemd unit passes systemd-analyze verify', async () => {
    const result = await run('systemd-analyze', ['verify', join(ROOT, 'deploy', 'systemd', 'prox.service')]).then(
      (done) => ({ code: 0, output: done.stdout + done.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, output: error.stdout + error.stderr }),
    );
    // /usr/bin/node and the prox user exist on the target host, not necessarily here.
    const complaints = result.output.split('\n').filter((line) => line.trim() !== '' && !/node|User|Group|prox\.service: Command/.test(line));
    expect(complaints).toEqual([]);
  });
});
