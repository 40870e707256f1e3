// npm run bench: request rate of prox with metrics and access log on and off.
// Needs `wrk` (Debian package) and a built dist/. Prints one line per variant and a summary.
import { spawn, execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DURATION = process.env.BENCH_SECONDS ?? '8';
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? '32';
const PROX = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist', 'cli', 'main.js');

/** The backend runs in its own process: wrk is run synchronously from this one. */
async function startBackend() {
  const code = `const s = require('node:http').createServer((q, r) => r.end('ok')); s.keepAliveTimeout = 60000;
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = await once(child.stdout.setEncoding('utf8'), 'data');
  return { child, port: Number(line.trim()) };
}

async function startProx(yaml) {
  const dir = mkdtempSync(join(tmpdir(), 'prox-bench-'));
  const file = join(dir, 'config.yaml');
  writeFileSync(file, yaml);
  const child = spawn(process.execPath, [PROX, 'serve', '--config', file, '--no-watch'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.setEncoding('utf8');
  while (!/"msg":"listening"/.test(text)) {
    const [chunk] = await once(child.stdout, 'data');
    text += chunk;
  }
  // Keep draining the log (the access log goes to stdout) so prox never blocks on the pipe.
  child.stdout.on('data', () => undefined);
  const port = Number(/"address":"127\.0\.0\.1:(\d+)","protocol"/.exec(text)[1]);
  return { child, port };
}

function wrk(url, seconds) {
  const out = execFileSync('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, '--latency', url], { encoding: 'utf8' });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
  const p99 = /99%\s+([\d.]+\w+)/.exec(out)?.[1] ?? '?';
  return { rps, p99 };
}

const variants = [
  { name: 'metrics off, access log off', admin: 'admin: { enabled: false }', log: 'access_log: { enabled: false }' },
  { name: 'metrics on,  access log off', admin: 'admin: { listen_addr: "127.0.0.1:0" }', log: 'access_log: { enabled: false }' },
  { name: 'metrics off, access log on ', admin: 'admin: { enabled: false }', log: 'access_log: { enabled: true }' },
  { name: 'metrics on,  access log on ', admin: 'admin: { listen_addr: "127.0.0.1:0" }', log: 'access_log: { enabled: true }' },
];

const backend = await startBackend();
const backendPort = backend.port;
// Rounds are interleaved and the median kept: on a small machine the run-to-run noise is
// larger than the cost being measured.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '3');
const samples = variants.map(() => []);
for (let round = 0; round < ROUNDS; round++) {
  for (const [index, variant] of variants.entries()) {
    const yaml = `listen_addr: "127.0.0.1:0"\n${variant.admin}\n${variant.log}\nroutes:\n  "/": { type: proxy, target: "http://127.0.0.1:${backendPort}" }\n`;
    const prox = await startProx(yaml);
    const url = `http://127.0.0.1:${prox.port}/bench`;
    wrk(url, 2); // warm-up: JIT and connection pools
    const result = wrk(url, DURATION);
    samples[index].push(result);
    console.log(`round ${round + 1} ${variant.name}: ${result.rps.toFixed(0)} req/s, p99 ${result.p99}`);
    prox.child.kill('SIGTERM');
    await once(prox.child, 'exit');
  }
}
const results = variants.map((variant, index) => {
  const sorted = [...samples[index]].sort((a, b) => a.rps - b.rps);
  return { ...variant, ...sorted[Math.floor(sorted.length / 2)] };
});
console.log('\nmedian of ' + ROUNDS + ' rounds:');
for (const r of results) console.log(`  ${r.name}: ${r.rps.toFixed(0)} req/s, p99 ${r.p99}`);
backend.child.kill();
const base = results[0].rps;
console.log('\nchange in request rate relative to both off (negative = slower):');
for (const r of results.slice(1)) console.log(`  ${r.name}: ${(((r.rps - base) / base) * 100).toFixed(1)}%`);
