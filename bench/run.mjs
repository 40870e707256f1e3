#!/usr/bin/env node
// npm run bench: prox side by side with nginx, HAProxy and the Node proxies, same backend, same
// load, same pinned CPU. See docs/performance.md. Settings (environment):
//   BENCH_SECONDS (5)  BENCH_CONNECTIONS (50)  BENCH_IDLE_CONNECTIONS (10000)
//   BENCH_ROUNDS (interleaved rounds per request scenario; 3 for small and small-log, 1 for the
//     others; when set, it applies to every request scenario)
//   BENCH_SCENARIOS (comma list of: small,small-log,large,upload,idle,close,https,h2,ws-echo,tcp)
//   BENCH_PEERS (comma list of: prox,prox-node,prox-uws,prox-no-metrics,prox-edge,prox-2w,nginx,haproxy,node-http-proxy,fastify-http-proxy)
//   BENCH_BACKEND (nginx|builtin)  BENCH_LOAD (wrk|autocannon)  BENCH_OUT (bench/results)
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend, MIB } from './lib/backends.mjs';
import { drive, holdIdleConnections, loadTool } from './lib/load.mjs';
import { PEERS } from './lib/peers.mjs';
import { measureAllocation } from './lib/allocation.mjs';
import { medianRow, roundsFor } from './lib/rounds.mjs';
import { writeReport } from './lib/report.mjs';
import { makeCertificate } from './lib/tls.mjs';
import { measureWebSocketEcho } from './lib/websocket.mjs';
import { measureTcp } from './lib/tcp.mjs';
import { cpuSecondsOf, hardFdLimit, machine, pinning, sampleRss, sleep, versionOf } from './lib/system.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WARMUP = Math.max(1, Math.min(2, Math.round(SECONDS / 3)));
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
/** Concurrent streams h2load keeps open on each connection of the h2 scenario. */
const H2_STREAMS = 10;
const PROXY_CPU = 0;
const LOAD_CPU = 1;
/** Length of the extra run with --trace-gc-nvp that gives the bytes allocated per request. */
const ALLOCATION_SECONDS = 2;
const list = (value, fallback) => (value ? value.split(',').map((s) => s.trim()).filter(Boolean) : fallback);

const SCENARIOS = {
  small: { title: '1. small GET, keep-alive (20 routes, balanced pair, health checks, metrics on)', path: '/', kind: 'get', allocation: ['prox', 'prox-node', 'prox-uws'], peers: ['prox', 'prox-node', 'prox-uws', 'prox-no-metrics', 'prox-edge', 'prox-2w', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy'] },
  'small-log': { title: '2. small GET with access log on (to a file)', path: '/', kind: 'get', accessLog: true, allocation: ['prox', 'prox-node', 'prox-uws'], peers: ['prox', 'prox-node', 'prox-uws', 'nginx', 'haproxy'] },
  large: { title: '3. 1 MiB responses', path: '/1m', kind: 'get', connections: 8, peers: ['prox', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy'] },
  upload: { title: '4. 10 MiB uploads', path: '/upload', kind: 'upload', bodyBytes: 10 * MIB, connections: 4, peers: ['prox', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy'] },
  idle: { title: '5. idle keep-alive connections held open', idle: true, peers: ['prox', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy'] },
  close: { title: '6. new connection per request (Connection: close)', path: '/', kind: 'close', peers: ['prox', 'prox-node', 'prox-uws', 'nginx', 'haproxy', 'node-http-proxy', 'fastify-http-proxy'] },
  https: { title: '7. small GET over HTTPS/1.1 (TLS terminated, keep-alive, ECDSA P-256)', path: '/', kind: 'get', tls: true, peers: ['prox', 'nginx', 'haproxy'] },
  h2: { title: `8. small GET over HTTP/2 (h2load, ${H2_STREAMS} streams per connection)`, path: '/', kind: 'h2', tls: true, peers: ['prox', 'nginx', 'haproxy'] },
  'ws-echo': { title: '9. WebSocket echo, 32-byte messages, one in flight per connection (ratio: to the backend direct)', webSocket: true, peers: ['prox', 'nginx'] },
  tcp: { title: '10. L4 TCP proxying: 1 GiB streamed through, and short connections (connect, small request, reply, close)', tcp: true, peers: ['prox', 'nginx', 'haproxy'] },
};

const wantedScenarios = list(process.env.BENCH_SCENARIOS, Object.keys(SCENARIOS));
const wantedPeers = list(process.env.BENCH_PEERS, Object.keys(PEERS));
for (const name of [...wantedScenarios, ...wantedPeers]) {
  if (!(name in SCENARIOS) && !(name in PEERS)) throw new Error(`unknown scenario or peer "${name}"`);
}
const roundsOf = Object.fromEntries(wantedScenarios.map((name) => [name, SCENARIOS[name].idle ? 1 : roundsFor(name)]));
if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) throw new Error('dist/ is missing: run npm run build (npm run bench does)');

const missing = wantedPeers.filter((name) => !PEERS[name].available());
for (const name of missing) console.log(`skipping ${PEERS[name].label}: not installed (${PEERS[name].install})`);
if (loadTool !== 'wrk') console.log('load generator: autocannon (install wrk for lower overhead and p99.9: sudo apt-get install wrk)');
if (!pinning) console.log('CPU pinning off (needs taskset and 2+ CPUs): figures share cores with the load generator');

const dir = mkdtempSync(join(tmpdir(), 'prox-bench-'));
const idleCount = Math.min(Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000), hardFdLimit() - 100);
if (wantedScenarios.includes('idle') && idleCount < Number(process.env.BENCH_IDLE_CONNECTIONS ?? 10_000)) {
  console.log(`idle scenario: only ${idleCount} connections (open-file hard limit ${hardFdLimit()}; raise it with ulimit -Hn / limits.conf)`);
}

const certificate = wantedScenarios.some((name) => SCENARIOS[name].tls) ? makeCertificate(dir) : null;
const backend = await startBackend(process.env.BENCH_BACKEND, dir, LOAD_CPU);
// nginx answers `return 200` before it has read a request body; uploads need an origin that
// reads all 10 MiB first, so they always go to the built-in backend.
const uploadBackend = wantedScenarios.includes('upload') ? (backend.kind === 'builtin' ? backend : await startBackend('builtin', dir, LOAD_CPU)) : null;
console.log(`backend: ${backend.version} on ports ${backend.ports.join(', ')}; load: ${loadTool}; ${SECONDS}s per run, ${CONNECTIONS} connections`);

const results = { date: new Date().toISOString(), machine: machine(), pinning, load: loadTool === 'wrk' ? versionOf('wrk', ['-v']) : 'autocannon', backend: backend.version, seconds: SECONDS, connections: CONNECTIONS, idleConnections: idleCount, peers: {}, scenarios: {} };
for (const name of wantedPeers) if (!missing.includes(name)) results.peers[name] = { label: PEERS[name].label, version: PEERS[name].version() };

try {
  for (const scenarioName of wantedScenarios) {
    const scenario = SCENARIOS[scenarioName];
    const rows = [];
    console.log(`\n${scenario.title}`);
    if (scenario.webSocket) {
      const echoRows = await measureWebSocketEcho({ dir, proxyCpu: PROXY_CPU, loadCpu: LOAD_CPU, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, wantedPeers });
      for (const row of echoRows) console.log(`  ${row.label.padEnd(28)} ${row.failed ? `failed: ${row.failed}` : `${row.messagesPerSec.toFixed(0)} msg/s, ${row.ratio?.toFixed(2) ?? '?'}× direct, errors ${row.errors}`}`);
      results.scenarios[scenarioName] = { title: scenario.title, webSocket: true, rows: echoRows };
      continue;
    }
    if (scenario.tcp) {
      const tcpRows = await measureTcp({ dir, backend, proxyCpu: PROXY_CPU, loadCpu: LOAD_CPU, seconds: SECONDS, warmupSeconds: WARMUP, connections: CONNECTIONS, wantedPeers });
      for (const row of tcpRows) console.log(`  ${row.label.padEnd(28)} ${row.failed ? `failed: ${row.failed}` : describeTcp(row)}`);
      results.scenarios[scenarioName] = { title: scenario.title, tcp: true, rows: tcpRows };
      continue;
    }
    const peers = scenario.peers.filter((peerName) => wantedPeers.includes(peerName) && !missing.includes(peerName));
    const rounds = roundsOf[scenarioName];
    const runs = new Map(peers.map((peerName) => [peerName, []]));
    for (let round = 1; round <= rounds; round += 1) {
      for (const peerName of peers) {
        const run = await measure(scenario, peerName).catch((error) => ({ peer: peerName, failed: String(error.message ?? error).split('\n')[0] }));
        runs.get(peerName).push(run);
        console.log(`  ${rounds > 1 ? `round ${round}/${rounds} ` : ''}${PEERS[peerName].label.padEnd(28)} ${describe(run)}`);
      }
    }
    for (const peerName of peers) {
      // idle holds connections instead of making requests: one run, no rounds to pick from.
      const row = scenario.idle ? runs.get(peerName)[0] : medianRow(runs.get(peerName), isThroughput(scenarioName) ? 'mbps' : 'rps');
      if (rounds > 1) console.log(`  median of ${rounds}: ${PEERS[peerName].label.padEnd(20)} ${row.failed ? 'every round failed' : describeRounds(row, isThroughput(scenarioName))}`);
      if (scenario.allocation?.includes(peerName) && !row.failed) {
        const allocation = await measureAllocationOf(scenario, peerName).catch((error) => ({ failed: String(error.message ?? error).split('\n')[0] }));
        row.allocation = allocation;
        row.allocatedBytesPerRequest = allocation.failed ? null : allocation.bytesPerRequest;
        console.log(`  ${PEERS[peerName].label.padEnd(28)} ${allocation.failed ? `allocation run failed: ${allocation.failed}` : `${(allocation.bytesPerRequest / 1000).toFixed(1)} KB allocated/request (${allocation.requests} requests in ${allocation.seconds} s with --trace-gc-nvp)`}`);
      }
      rows.push(row);
    }
    results.scenarios[scenarioName] = { title: scenario.title, rounds, rows };
  }
} finally {
  await backend.stop();
  if (uploadBackend !== null && uploadBackend !== backend) await uploadBackend.stop();
  rmSync(dir, { recursive: true, force: true });
}

const written = writeReport(results, process.env.BENCH_OUT ?? join(ROOT, 'bench', 'results'));
console.log(`\n${written.table}\nwrote ${written.files.join(', ')}`);

async function measure(scenario, peerName) {
  const origin = scenario.kind === 'upload' ? uploadBackend : backend;
  const tls = scenario.tls === true ? certificate : null;
  const peer = await PEERS[peerName].start({ dir, ports: origin.ports, cpu: PROXY_CPU, accessLog: scenario.accessLog === true, tls });
  try {
    if (scenario.idle) {
      const rss = sampleRss(peer.pid);
      const before = rss.now();
      const held = await holdIdleConnections({ port: peer.port, count: idleCount, cpu: LOAD_CPU });
      await sleep(500);
      const during = rss.now();
      const peak = rss.stop();
      await held.release();
      return { peer: peerName, connections: held.opened, errors: held.failed, rssBefore: before, rss: during, peakRss: peak };
    }
    const url = `${tls === null ? 'http' : 'https'}://127.0.0.1:${peer.port}${scenario.path}`;
    const load = { url, connections: scenario.connections ?? CONNECTIONS, kind: scenario.kind, bodyBytes: scenario.bodyBytes ?? 0, streams: H2_STREAMS, dir, cpu: LOAD_CPU };
    await drive({ ...load, seconds: WARMUP });
    const rss = sampleRss(peer.pid);
    const logBefore = fileSize(peer.accessLogFile);
    const cpuBefore = cpuSecondsOf(peer.pid);
    const result = await drive({ ...load, seconds: SECONDS });
    const cpuUsPerRequest = result.requests > 0 ? ((cpuSecondsOf(peer.pid) - cpuBefore) * 1e6) / result.requests : null;
    const uploadedMb = scenario.kind === 'upload' ? (result.requests * scenario.bodyBytes) / 1e6 / SECONDS : null;
    const row = { peer: peerName, ...result, mbps: uploadedMb ?? result.mbps, peakRss: rss.stop(), cpuUsPerRequest };
    if (scenario.accessLog === true && peer.accessLogFile) {
      // After stop: nginx writes what is left in its buffer=64k when it exits.
      await peer.stop();
      row.accessLogBytes = fileSize(peer.accessLogFile) - logBefore;
      if (row.accessLogBytes <= 0) row.failed = `wrote no access log to ${peer.accessLogFile}`;
    }
    return row;
  } finally {
    await peer.stop();
  }
}

/** The extra run of a prox peer with --trace-gc-nvp: bytes allocated per request (not timed). */
function measureAllocationOf(scenario, peerName) {
  return measureAllocation({
    start: (options) => PEERS[peerName].start({ dir, ports: backend.ports, cpu: PROXY_CPU, accessLog: scenario.accessLog === true, tls: null, ...options }),
    drive: ({ port, seconds }) => drive({ url: `http://127.0.0.1:${port}${scenario.path}`, connections: CONNECTIONS, kind: scenario.kind, dir, cpu: LOAD_CPU, seconds }),
    warmupSeconds: WARMUP,
    seconds: ALLOCATION_SECONDS,
  });
}

function describeRounds(row, throughput) {
  const [figure, unit, list] = throughput ? [row.mbps, 'MB/s', row.roundsMbps] : [row.rps, 'req/s', row.rounds];
  return `${figure.toFixed(0)} ${unit} (rounds: ${list.map((value) => (value === null ? 'failed' : value.toFixed(0))).join(' / ')})`;
}

function isThroughput(scenarioName) {
  return scenarioName === 'large' || scenarioName === 'upload';
}

function fileSize(path) {
  try {
    return path ? statSync(path).size : 0;
  } catch {
    return 0;
  }
}

function describeTcp(row) {
  const times = (value) => (value === null ? '–' : `${value.toFixed(2)}×`);
  return `1 GiB at ${row.bulkMBps.toFixed(0)} MB/s (${times(row.bulkVsDirect)} direct, ${times(row.bulkVsNginx)} nginx), ${row.connectionsPerSec.toFixed(0)} short connections/s (${times(row.shortVsDirect)} direct, ${times(row.shortVsNginx)} nginx), errors ${row.errors}`;
}

function describe(row) {
  if (row.failed) return `failed: ${row.failed}`;
  if (row.connections !== undefined) return `${row.connections} connections held, RSS ${(row.rss / 1e6).toFixed(0)} MB (${(row.rssBefore / 1e6).toFixed(0)} MB before)`;
  return `${row.rps.toFixed(0)} req/s, ${row.mbps.toFixed(1)} MB/s, p50 ${row.p50Ms.toFixed(2)} ms, p99 ${row.p99Ms.toFixed(2)} ms, p99.9 ${row.p999Ms.toFixed(2)} ms, errors ${row.errors}, peak RSS ${(row.peakRss / 1e6).toFixed(0)} MB`;
}
