// The ws-echo scenario: small-message echo rate through prox (llhttp tunnel, and the
// µWebSockets relay) and nginx, against the same `ws` echo backend reached directly.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, has, start, stop, waitForOutput, waitForPort } from './system.mjs';
import { nginxMainContext } from './nginx.mjs';

const HERE = new URL('.', import.meta.url).pathname;
const PROX = join(HERE, '..', '..', 'dist', 'cli', 'main.js');

/** Peers of the scenario: `direct` is the backend itself (the ratio's denominator). */
export const WS_PEERS = {
  direct: { label: 'direct (no proxy)', available: () => true },
  prox: { label: 'prox, llhttp tunnel', available: () => true, env: { PROX_HTTP_SERVER: 'llhttp' } },
  'prox-uws': { label: 'prox, µWS relay', available: () => true, env: { PROX_HTTP_SERVER: 'uws' } },
  nginx: { label: 'nginx', available: () => has('nginx') },
};

export async function measureWebSocketEcho({ dir, proxyCpu, loadCpu, seconds, warmupSeconds, connections, wantedPeers }) {
  const backend = start(loadCpu, process.execPath, [join(HERE, 'ws-echo-server.mjs')]);
  const backendPort = Number((await waitForOutput(backend, (text) => text.match(/listening (\d+)/), 'ws echo backend'))[1]);
  const rows = [];
  try {
    for (const [name, peer] of Object.entries(WS_PEERS)) {
      if (name !== 'direct' && !wantedPeers.includes(name.replace('-uws', ''))) continue;
      if (!peer.available()) continue;
      const proxy = name === 'direct' ? null : name === 'nginx' ? await startNginx(dir, backendPort, proxyCpu) : await startProx(dir, backendPort, proxyCpu, peer.env);
      try {
        const port = proxy === null ? backendPort : proxy.port;
        const result = await runClient(`ws://127.0.0.1:${port}/`, connections, seconds, warmupSeconds, loadCpu);
        rows.push({ peer: name, label: peer.label, messagesPerSec: result.messages / seconds, errors: result.errors });
      } catch (error) {
        rows.push({ peer: name, label: peer.label, failed: String(error.message ?? error).split('\n')[0] });
      } finally {
        await proxy?.stop();
      }
    }
  } finally {
    await stop(backend);
  }
  const direct = rows.find((row) => row.peer === 'direct' && row.failed === undefined);
  for (const row of rows) if (direct !== undefined && row.failed === undefined) row.ratio = row.messagesPerSec / direct.messagesPerSec;
  return rows;
}

async function runClient(url, connections, seconds, warmupSeconds, cpu) {
  const child = start(cpu, process.execPath, [join(HERE, 'ws-echo-client.mjs'), url, String(connections), String(seconds), String(warmupSeconds)]);
  const match = await waitForOutput(child, (out) => out.match(/\{.*\}/), 'ws echo client', (seconds + warmupSeconds + 30) * 1000);
  await stop(child);
  return JSON.parse(match[0]);
}

async function startProx(dir, backendPort, cpu, env) {
  const port = await freePort();
  const file = join(dir, `prox-ws-${env.PROX_HTTP_SERVER}.yaml`);
  writeFileSync(file, [`listen_addr: "127.0.0.1:${port}"`, 'admin: { listen_addr: "127.0.0.1:0" }', 'access_log: { enabled: false }', 'routes:', `  "/": { type: proxy, target: "http://127.0.0.1:${backendPort}" }`, ''].join('\n'));
  const child = start(cpu, process.execPath, [PROX, 'serve', '--config', file, '--no-watch'], { cwd: dir, env: { ...process.env, ...env } });
  await waitForOutput(child, (text) => /"msg":"listening"/.test(text), 'prox');
  child.stdout.resume();
  return { port, stop: () => stop(child) };
}

async function startNginx(dir, backendPort, cpu) {
  const port = await freePort();
  const root = join(dir, 'nginx-ws');
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeFileSync(
    join(root, 'nginx.conf'),
    `${nginxMainContext(root)}
http {
  access_log off;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream echo { server 127.0.0.1:${backendPort}; keepalive 32; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_read_timeout 300s;
    }
  }
}
`,
  );
  const child = start(cpu, 'nginx', ['-p', root, '-c', join(root, 'nginx.conf')]);
  await waitForPort(port, 'nginx');
  return { port, stop: () => stop(child) };
}
