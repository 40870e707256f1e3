#!/usr/bin/env node
// CPU time each proxy spends per proxied request (user + system, summed over its processes),
// read from /proc while wrk drives a fixed load. Unlike req/s this figure barely moves when other
// work shares the machine, so it is the one to compare A/B changes with on a busy host.
//   BENCH_SECONDS (5)  BENCH_CONNECTIONS (50)  BENCH_PEERS (prox,nginx)  BENCH_ROUNDS (3)
//   BENCH_ACCESS_LOG (1 = access log on for every peer)
//   BENCH_ALLOC (1 = also bytes allocated per request, from V8's --trace-gc-nvp; prox only)
//   A peer `prox@/other/dist` runs another build of prox (A/B against a checkout of main).
//   BENCH_PROX_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof")
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBackend } from './lib/backends.mjs';
import { drive } from './lib/load.mjs';
import { PEERS } from './lib/peers.mjs';
import { cpuSecondsOf } from './lib/system.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const ACCESS_LOG = process.env.BENCH_ACCESS_LOG === '1';
const peers = (process.env.BENCH_PEERS ?? 'prox,nginx').split(',').filter(Boolean);
const ALLOC = process.env.BENCH_ALLOC === '1';

const dir = mkdtempSync(join(tmpdir(), 'prox-cpu-'));
const backend = await startBackend(process.env.BENCH_BACKEND, dir, 1);
const figures = Object.fromEntries(peers.map((name) => [name, []]));
try {
  for (let round = 0; round < ROUNDS; round += 1) {
    for (const name of peers) {
      const [peerName, dist = null] = name.split('@');
      // With BENCH_ALLOC=1 prox runs with --trace-gc-nvp (bench/lib/allocation.mjs) in these same
      // runs: the µs figures then include the tracing's own cost.
      const peer = await PEERS[peerName].start({ dir, ports: backend.ports, cpu: 0, accessLog: ACCESS_LOG, dist, traceGc: ALLOC });
      try {
        const url = `http://127.0.0.1:${peer.port}/`;
        await drive({ url, seconds: 1, connections: CONNECTIONS, dir, cpu: 1 });
        const before = cpuSecondsOf(peer.pid);
        const allocatedBefore = peer.allocatedBytes?.() ?? 0;
        const result = await drive({ url, seconds: SECONDS, connections: CONNECTIONS, dir, cpu: 1 });
        const usPerRequest = ((cpuSecondsOf(peer.pid) - before) * 1e6) / result.requests;
        const bytesPerRequest = peer.allocatedBytes === undefined || !ALLOC ? null : (peer.allocatedBytes() - allocatedBefore) / result.requests;
        figures[name].push({ usPerRequest, rps: result.rps, p99Ms: result.p99Ms, bytesPerRequest });
        const allocation = bytesPerRequest === null ? '' : `  ${Math.round(bytesPerRequest)} B allocated/request`;
        console.log(`round ${round + 1} ${name.padEnd(20)} ${usPerRequest.toFixed(1)} µs CPU/request  ${Math.round(result.rps)} req/s  p99 ${result.p99Ms.toFixed(2)} ms${allocation}`);
      } finally {
        await peer.stop();
      }
    }
  }
} finally {
  await backend.stop();
  rmSync(dir, { recursive: true, force: true });
}
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`\nmedians of ${ROUNDS} rounds (access log ${ACCESS_LOG ? 'on' : 'off'}):`);
for (const name of peers) {
  const us = median(figures[name].map((f) => f.usPerRequest));
  const bytes = figures[name][0].bytesPerRequest === null ? '' : `, ${Math.round(median(figures[name].map((f) => f.bytesPerRequest)))} B allocated/request`;
  console.log(`  ${name.padEnd(20)} ${us.toFixed(1)} µs CPU/request, ${Math.round(median(figures[name].map((f) => f.rps)))} req/s${bytes}`);
}
