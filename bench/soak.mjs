#!/usr/bin/env node
// npm run soak: prox under mixed traffic for a while, sampling its memory and file descriptors,
// to show leaks as a slope. Not a test: the figures are for a person to read (noisy on a shared
// machine). Settings (environment):
//   SOAK_MINUTES (10)  SOAK_WARMUP_SECS (60, or a fifth of the run if shorter)  SOAK_CLIENTS (8)
//   PROX_HTTP_SERVER (node|uws: the engine)  SOAK_OUT (bench/results/soak.json)
// Traffic: small GETs on keep-alive and on new connections, 1 MiB downloads and uploads, clients
// that abort mid-download and mid-upload, a backend that goes down and up every 3 s, and a config
// reload (SIGHUP) every 10 s.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { Agent, createServer, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const DURATION_MS = MINUTES * 60_000;
const WARMUP_MS = Math.min(Number(process.env.SOAK_WARMUP_SECS ?? 60) * 1000, DURATION_MS / 5);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 8);
const OUT = process.env.SOAK_OUT ?? join(ROOT, 'bench', 'results', 'soak.json');
const MIB = 1024 * 1024;
const BIG = Buffer.alloc(MIB, 'x');

// ---- backends -------------------------------------------------------------------------------

function backendHandler(req, res) {
  let received = 0;
  req.on('data', (chunk) => (received += chunk.length));
  req.on('end', () => {
    if (req.url.startsWith('/api/big')) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BIG.length });
      res.end(BIG);
    } else {
      const body = JSON.stringify({ url: req.url, received });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
  });
  req.on('error', () => undefined);
}

async function listen(server, port = 0) {
  server.listen(port, '127.0.0.1');
  await once(server, 'listening');
  return server.address().port;
}

const stable = createServer(backendHandler);
stable.keepAliveTimeout = 60_000;
const stablePort = await listen(stable);

/** A backend that is up for 3 s, then down for 3 s (its port refuses connections), and so on. */
let flapping = createServer(backendHandler);
const flappingPort = await listen(flapping);
const flapTimer = setInterval(async () => {
  if (flapping.listening) {
    flapping.closeAllConnections();
    flapping.close();
  } else {
    flapping = createServer(backendHandler);
    try {
      await listen(flapping, flappingPort);
    } catch {
      // The port was taken meanwhile: stay down this round.
    }
  }
}, 3_000);

// ---- prox -----------------------------------------------------------------------------------

const dir = mkdtempSync(join(tmpdir(), 'prox-soak-'));
const configFile = join(dir, 'config.yaml');
let generation = 0;
function writeConfig() {
  generation += 1;
  writeFileSync(
    configFile,
    [
      'listen_addr: "127.0.0.1:0"',
      'admin: { listen_addr: "127.0.0.1:0" }',
      'access_log: { enabled: false }',
      'limits: { body_timeout_secs: 5 }',
      'routes:',
      '  "/api":',
      '    type: proxy',
      `    target: "http://127.0.0.1:${stablePort}"`,
      `    response_headers: { add: { x-soak-generation: "${generation}" } }`,
      '  "/flap":',
      '    type: load_balance',
      `    targets: ["http://127.0.0.1:${flappingPort}", "http://127.0.0.1:${stablePort}"]`,
      '    passive: { enabled: true }',
      '',
    ].join('\n'),
  );
}
writeConfig();

const child = spawn(process.execPath, [join(ROOT, 'dist', 'cli', 'main.js'), 'serve', '--config', configFile, '--no-watch'], {
  env: process.env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
let proxPort = 0;
let adminPort = 0;
let reloads = 0;
let buffered = '';
const listening = new Promise((resolve) => {
  child.stdout.setEncoding('utf8').on('data', (text) => {
    buffered += text;
    let newline;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let entry;
      try {
        entry = JSON.parse(line);
      } catch {
        continue;
      }
      const port = () => Number(String(entry.address).split(':').pop());
      if (entry.msg === 'admin listening') adminPort = port();
      if (entry.msg === 'listening' && proxPort === 0) {
        proxPort = port();
        resolve();
      }
      if (/reload/i.test(entry.msg ?? '')) reloads += 1;
    }
  });
});
child.on('exit', (code) => {
  if (!stopping) {
    console.error(`prox exited during the soak (code ${code})`);
    process.exit(1);
  }
});
let stopping = false;
await listening;

// ---- traffic ---------------------------------------------------------------------------------

const keepAlive = new Agent({ keepAlive: true, maxSockets: CLIENTS });
const counts = { ok: 0, non2xx: 0, errors: 0, aborted: 0 };

function send({ method = 'GET', path, agent = keepAlive, body = null, abortAfterBytes = null }) {
  return new Promise((resolve) => {
    let abortedHere = false;
    const req = request({ host: '127.0.0.1', port: proxPort, method, path, agent, headers: body ? { 'content-length': body.length } : {} }, (res) => {
      let seen = 0;
      res.on('data', (chunk) => {
        seen += chunk.length;
        if (abortAfterBytes !== null && seen >= abortAfterBytes && !abortedHere) {
          abortedHere = true;
          counts.aborted += 1;
          req.destroy();
          resolve();
        }
      });
      res.on('end', () => {
        if (res.statusCode < 300) counts.ok += 1;
        else counts.non2xx += 1;
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('error', () => {
      // A client that aborted on purpose is counted as aborted, not as an error.
      if (!abortedHere) counts.errors += 1;
      resolve();
    });
    if (body === null) req.end();
    else if (abortAfterBytes === -1) {
      // Abort mid-upload: half the body, then gone.
      req.write(body.subarray(0, body.length / 2), () => {
        abortedHere = true;
        counts.aborted += 1;
        req.destroy();
        resolve();
      });
    } else req.end(body);
  });
}

const MIX = [
  () => send({ path: '/api/small' }),
  () => send({ path: '/api/small' }),
  () => send({ path: '/api/small', agent: false }),
  () => send({ path: '/api/big' }),
  () => send({ method: 'POST', path: '/api/upload', body: BIG }),
  () => send({ path: '/api/big', agent: false, abortAfterBytes: 64 * 1024 }),
  () => send({ method: 'POST', path: '/api/upload', agent: false, body: BIG, abortAfterBytes: -1 }),
  () => send({ path: '/flap/small' }),
];

const started = Date.now();
const deadline = started + DURATION_MS;
async function client(index) {
  let n = index;
  while (Date.now() < deadline) await MIX[n++ % MIX.length]();
}

// ---- sampling ----------------------------------------------------------------------------------

const samples = [];
async function heapUsedBytes() {
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: adminPort, path: '/metrics', agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk) => (text += chunk));
      res.on('end', () => {
        const match = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
        resolve(match ? Number(match[1]) : NaN);
      });
    });
    req.on('error', () => resolve(NaN));
    req.end();
  });
}
function rssBytes() {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}
const sampler = setInterval(async () => {
  const at = Date.now() - started;
  samples.push({ atMs: at, rss: rssBytes(), heap: await heapUsedBytes(), fds: readdirSync(`/proc/${child.pid}/fd`).length });
}, 1_000);
const reloader = setInterval(() => {
  writeConfig();
  child.kill('SIGHUP');
}, 10_000);

console.log(`soak: ${MINUTES} min, warm-up ${WARMUP_MS / 1000} s, ${CLIENTS} clients, engine ${process.env.PROX_HTTP_SERVER ?? 'default'}, prox pid ${child.pid}`);
await Promise.all(Array.from({ length: CLIENTS }, (_, i) => client(i)));
clearInterval(sampler);
clearInterval(reloader);
clearInterval(flapTimer);

// ---- report ------------------------------------------------------------------------------------

/** Least-squares slope of `key` over time, per minute. */
function slopePerMinute(points, key) {
  const usable = points.filter((p) => Number.isFinite(p[key]));
  const n = usable.length;
  if (n < 2) return NaN;
  const mx = usable.reduce((s, p) => s + p.atMs, 0) / n;
  const my = usable.reduce((s, p) => s + p[key], 0) / n;
  let num = 0;
  let den = 0;
  for (const p of usable) {
    num += (p.atMs - mx) * (p[key] - my);
    den += (p.atMs - mx) ** 2;
  }
  return (num / den) * 60_000;
}
const steady = samples.filter((s) => s.atMs >= WARMUP_MS);
const summary = (key, unit, scale) => {
  const values = steady.map((s) => s[key]).filter(Number.isFinite);
  return {
    first: +(values[0] / scale).toFixed(2),
    last: +(values.at(-1) / scale).toFixed(2),
    min: +(Math.min(...values) / scale).toFixed(2),
    max: +(Math.max(...values) / scale).toFixed(2),
    slopePerMinute: +(slopePerMinute(steady, key) / scale).toFixed(3),
    unit,
  };
};
const result = {
  minutes: MINUTES,
  warmupSecs: WARMUP_MS / 1000,
  engine: process.env.PROX_HTTP_SERVER ?? 'default',
  samplesAfterWarmup: steady.length,
  requests: counts,
  reloadsSent: generation - 1,
  reloadLogLines: reloads,
  rss: summary('rss', 'MiB', MIB),
  heapUsed: summary('heap', 'MiB', MIB),
  openFds: summary('fds', 'fds', 1),
};
console.log(JSON.stringify(result, null, 2));
mkdirSync(join(OUT, '..'), { recursive: true });
writeFileSync(OUT, JSON.stringify({ ...result, samples }, null, 2));

stopping = true;
child.kill('SIGTERM');
await once(child, 'exit');
keepAlive.destroy();
stable.closeAllConnections();
stable.close();
if (flapping.listening) {
  flapping.closeAllConnections();
  flapping.close();
}
