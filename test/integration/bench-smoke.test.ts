import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The benchmark is not a test; this only checks that it starts, runs prox once, and reports. */
describe('npm run bench (smoke)', () => {
  it('runs prox against the built-in backend and writes a JSON and Markdown report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'prox-bench-smoke-'));
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bench', 'run.mjs')], {
      env: { ...process.env, BENCH_SECONDS: '2', BENCH_SCENARIOS: 'small', BENCH_PEERS: 'prox', BENCH_BACKEND: 'builtin', BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
    const [code] = await once(child, 'exit');
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('wrote') });
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
      scenarios: { small: { rows: { peer: string; requests: number; errors: number }[] } };
      targets: unknown[];
    };
    const [row] = results.scenarios.small.rows;
    expect(row.peer).toBe('prox');
    expect(row.requests).toBeGreaterThan(0);
    expect(row.errors).toBe(0);
    expect(readFileSync(join(out, 'latest.md'), 'utf8')).toContain('| prox |');
  }, 120_000);
});
