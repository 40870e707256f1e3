import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface BenchRow {
  peer: string;
  rps: number;
  requests: number;
  errors: number;
  rounds: (number | null)[];
  allocatedBytesPerRequest: number | null;
  cpuUsPerRequest: number | null;
  allocation: { requests: number; bytes: number };
}

/** The benchmark is not a test; this only checks that it starts, runs prox, and reports. */
describe('npm run bench (smoke)', () => {
  it('runs prox in interleaved rounds against the built-in backend, measures its allocations, and writes a JSON and Markdown report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'prox-bench-smoke-'));
    const child = spawn(process.execPath, [join(__dirname, '..', '..', 'bench', 'run.mjs')], {
      env: { ...process.env, BENCH_SECONDS: '1', BENCH_ROUNDS: '2', BENCH_SCENARIOS: 'small', BENCH_PEERS: 'prox', BENCH_BACKEND: 'builtin', BENCH_OUT: out },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (output += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (output += t));
    const [code] = await once(child, 'exit');
    expect({ code, output }).toEqual({ code: 0, output: expect.stringContaining('wrote') });
    expect(output).toContain('round 2/2 prox');
    const results = JSON.parse(readFileSync(join(out, 'latest.json'), 'utf8')) as {
      scenarios: { small: { rounds: number; rows: BenchRow[] } };
      targets: { target: string; value: number | null }[];
    };
    expect(results.scenarios.small.rounds).toBe(2);
    const [row] = results.scenarios.small.rows;
    expect(row.peer).toBe('prox');
    expect(row.requests).toBeGreaterThan(0);
    expect(row.errors).toBe(0);
    // The row is one of its rounds (the median), and every round was measured.
    expect(row.rounds).toHaveLength(2);
    for (const rps of row.rounds) expect(rps).toBeGreaterThan(0);
    expect(row.rounds).toContain(row.rps);
    // CPU per request from /proc over the timed run: prox spent some CPU on every request.
    expect(row.cpuUsPerRequest).toBeGreaterThan(0);
    // Bytes allocated per request come from the extra --trace-gc-nvp run.
    expect(row.allocation.requests).toBeGreaterThan(0);
    expect(row.allocatedBytesPerRequest).toBeGreaterThan(0);
    expect(row.allocatedBytesPerRequest).toBe(row.allocation.bytes / row.allocation.requests);
    const allocationTarget = results.targets.find((t) => t.target.startsWith('allocated per request (prox, llhttp engine), access log off'));
    expect(allocationTarget?.value).toBe((row.allocatedBytesPerRequest as number) / 1000);
    const markdown = readFileSync(join(out, 'latest.md'), 'utf8');
    expect(markdown).toContain('| prox |');
    expect(markdown).toContain('KB allocated/request');
    expect(markdown).toContain('µs CPU/request');
    expect(markdown).toMatch(/\| [\d.]+k? \/ [\d.]+k? \|/);
  }, 120_000);
});
