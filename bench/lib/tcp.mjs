// The tcp scenario: L4 proxying (prox `tcp:`, nginx `stream`, HAProxy `mode tcp`) against the
// same backend reached directly. Two measures per path:
//   bulk  one 1 GiB response streamed through (curl to /dev/null): MB/s, median of the transfers
//   short connect, send a small HTTP request, read the reply, close (wrk, Connection: close): connections/s
// The backend speaks HTTP only so that fast C clients can drive it; the proxies see bytes.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { drive } from './load.mjs';
import { command, freePort, has, sampleRss, start, stop, waitForOutput, waitForPort } from './system.mjs';
import { nginxMainContext } from './nginx.mjs';
import { startHaproxyPeer } from './haproxy.mjs';

const run = promisify(execFile);
const HERE = new URL('.', import.meta.url).pathname;
const PROX = join(HERE, '..', '..', 'dist', 'cli', 'main.js');
export const GIB = 1024 ** 3;
/** Where Debian's libnginx-mod-stream puts the module (nginx is built with --with-stream=dynamic there). */
const NGINX_STREAM_MODULE = '/usr/lib/nginx/modules/ngx_stream_module.so';

/** Paths of the scenario: `direct` is the backend itself (the denominator of "÷ direct"). */
export const TCP_PEERS = {
  direct: { label: 'direct (no proxy)', available: () => true, start: null },
  prox: { label: 'prox tcp:', available: () => true, start: startProx },
  nginx: { label: 'nginx stream', available: () => has('nginx') && nginxHasStream(), install: 'sudo apt-get install nginx libnginx-mod-stream', start: startNginx },
  haproxy: { label: 'HAProxy mode tcp', available: () => has('haproxy'), install: 'sudo apt-get install haproxy', start: startHaproxy },
};

/**
 * Measures every wanted path; `wantedPeers` uses the bench's peer names (prox, nginx, haproxy).
 * Returns one row per path: { peer, label, bulkMBps, transfers, connectionsPerSec, errors, peakRss } or { failed }.
 */
export async function measureTcp({ dir, backend, proxyCpu, loadCpu, seconds, warmupSeconds, connections, wantedPeers }) {
  if (!has('curl')) throw new Error('curl is not installed (sudo apt-get install curl)');
  const rows = [];
  for (const [name, peer] of Object.entries(TCP_PEERS)) {
    if (name !== 'direct' && !wantedPeers.includes(name)) continue;
    if (!peer.available()) {
      console.log(`  skipping ${peer.label}: not installed (${peer.install})`);
      continue;
    }
    let proxy = null;
    try {
      proxy = peer.start === null ? null : await peer.start({ dir, ports: backend.ports, cpu: proxyCpu });
      const port = proxy === null ? backend.ports[0] : proxy.port;
      const rss = proxy === null ? null : sampleRss(proxy.pid);
      const bulk = await bulkTransfers(port, seconds, loadCpu);
      const load = { url: `http://127.0.0.1:${port}/`, connections, kind: 'close', dir, cpu: loadCpu };
      await drive({ ...load, seconds: warmupSeconds });
      const short = await drive({ ...load, seconds });
      rows.push({ peer: name, label: peer.label, bulkMBps: bulk.mbps, transfers: bulk.transfers, connectionsPerSec: short.rps, p99Ms: short.p99Ms, errors: short.errors + bulk.errors, peakRss: rss?.stop() ?? null });
    } catch (error) {
      rows.push({ peer: name, label: peer.label, failed: String(error.message ?? error).split('\n')[0] });
    } finally {
      await proxy?.stop();
    }
  }
  const direct = rows.find((row) => row.peer === 'direct' && row.failed === undefined);
  const nginx = rows.find((row) => row.peer === 'nginx' && row.failed === undefined);
  for (const row of rows) {
    if (row.failed !== undefined) continue;
    row.bulkVsDirect = direct === undefined ? null : row.bulkMBps / direct.bulkMBps;
    row.shortVsDirect = direct === undefined ? null : row.connectionsPerSec / direct.connectionsPerSec;
    row.bulkVsNginx = nginx === undefined ? null : row.bulkMBps / nginx.bulkMBps;
    row.shortVsNginx = nginx === undefined ? null : row.connectionsPerSec / nginx.connectionsPerSec;
  }
  return rows;
}

/** 1 GiB downloads one after another for about `seconds` (at least one, at most five): the median rate. */
async function bulkTransfers(port, seconds, cpu) {
  const rates = [];
  let errors = 0;
  const until = Date.now() + seconds * 1000;
  while (rates.length + errors < 5 && (rates.length + errors === 0 || Date.now() < until)) {
    const [sh, args] = command(cpu, 'curl', ['-sS', '-o', '/dev/null', '-w', '%{size_download} %{time_total}', `http://127.0.0.1:${port}/1g`]);
    try {
      const { stdout } = await run(sh, args, { timeout: 120_000 });
      const [size, secs] = stdout.trim().split(' ').map(Number);
      if (size !== GIB) throw new Error(`got ${size} bytes`);
      rates.push(size / secs / 1e6);
    } catch {
      errors++;
    }
  }
  if (rates.length === 0) throw new Error('no 1 GiB transfer completed');
  rates.sort((a, b) => a - b);
  return { mbps: rates[Math.floor(rates.length / 2)], transfers: rates.length, errors };
}

function nginxHasStream() {
  return existsSync(NGINX_STREAM_MODULE);
}

async function startProx({ dir, ports, cpu }) {
  const port = await freePort();
  const file = join(dir, 'prox-tcp.yaml');
  writeFileSync(
    file,
    [
      'admin: { listen_addr: "127.0.0.1:0" }',
      'access_log: { enabled: false }',
      'tcp:',
      `  - listen_addr: "127.0.0.1:${port}"`,
      `    backend_addrs: ["127.0.0.1:${ports[0]}", "127.0.0.1:${ports[1]}"]`,
      '    strategy: round_robin',
      '    health_check: { interval_secs: 5 }',
      '',
    ].join('\n'),
  );
  const extra = process.env.BENCH_PROX_NODE_ARGS ? process.env.BENCH_PROX_NODE_ARGS.split(' ') : [];
  const child = start(cpu, process.execPath, [...extra, PROX, 'serve', '--config', file, '--no-watch'], { cwd: dir });
  await waitForOutput(child, (text) => /"msg":"tcp listening"/.test(text), 'prox');
  child.stdout.resume();
  return { pid: child.pid, port, stop: () => stop(child) };
}

async function startNginx({ dir, ports, cpu }) {
  const port = await freePort();
  const root = join(dir, 'nginx-stream');
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeFileSync(
    join(root, 'nginx.conf'),
    `load_module ${NGINX_STREAM_MODULE};
${nginxMainContext(root)}
stream {
  upstream backends {
    server 127.0.0.1:${ports[0]};
    server 127.0.0.1:${ports[1]};
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
    proxy_pass backends;
    proxy_connect_timeout 5s;
  }
}
`,
  );
  const child = start(cpu, 'nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')]);
  await waitForPort(port, 'nginx stream');
  return { pid: child.pid, port, stop: () => stop(child) };
}

function startHaproxy({ dir, ports, cpu }) {
  return startHaproxyPeer({ dir, cpu, ports, fileName: 'haproxy-tcp.cfg', mode: 'tcp' });
}
