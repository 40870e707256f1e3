// HAProxy as a bench peer (the HTTP peer in peers.mjs, `mode tcp` in tcp.mjs): one process, one
// thread, round robin over the two backend ports with health checks.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, hardFdLimit, start, stop, waitForPort } from './system.mjs';

/**
 * Writes `<dir>/<fileName>` and runs HAProxy on it. `mode` is http or tcp; the `*Lines` are
 * extra lines for the global, defaults and backend sections; `bindSuffix` follows the bind address.
 */
export async function startHaproxyPeer({ dir, cpu, fileName, mode, globalLines = [], defaultsLines = [], bindSuffix = '', backendLines = [], ports }) {
  const port = await freePort();
  const file = join(dir, fileName);
  const indent = (lines) => lines.map((line) => `  ${line}\n`).join('');
  writeFileSync(
    file,
    `global
  maxconn ${Math.floor((hardFdLimit() - 100) / 2)}
  nbthread 1
${indent(globalLines)}defaults
  mode ${mode}
${indent(defaultsLines)}  timeout connect 5s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:${port}${bindSuffix}
  default_backend be
backend be
  balance roundrobin
${indent(backendLines)}  server b1 127.0.0.1:${ports[0]} check inter 5s
  server b2 127.0.0.1:${ports[1]} check inter 5s
`,
  );
  const child = start(cpu, 'haproxy', ['-db', '-f', file]);
  child.stdout.resume();
  await waitForPort(port, 'haproxy');
  return { pid: child.pid, port, stop: () => stop(child, 'SIGUSR1') };
}
