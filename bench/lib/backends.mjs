// The origin servers behind every proxy: two ports (the load-balanced pair), answering
//   /        12 bytes ("hello world\n"), /health 2 bytes, /1m one MiB, /1g one GiB (the tcp
//   scenario's bulk transfer), POST /upload any body.
import { chmodSync, existsSync, mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort, has, start, stop, waitForPort, versionOf } from './system.mjs';
import { nginxMainContext } from './nginx.mjs';

export const SMALL_BODY = 'hello world\n';
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

export async function startBackend(kind, dir, cpu) {
  const ports = [await freePort(), await freePort()];
  const chosen = kind ?? (has('nginx') ? 'nginx' : 'builtin');
  const child = chosen === 'nginx' ? startNginxBackend(dir, ports, cpu) : startBuiltinBackend(ports, cpu);
  for (const port of ports) await waitForPort(port, `${chosen} backend`);
  const version = chosen === 'nginx' ? versionOf('nginx', ['-v']) : `${nativeUwsBinaryExists() ? 'µWebSockets.js' : 'node:http'} (built-in)`;
  return { kind: chosen, version, ports, pid: child.pid, stop: () => stop(child) };
}

function startNginxBackend(dir, ports, cpu) {
  const root = join(dir, 'backend');
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeFileSync(join(root, '1m'), Buffer.alloc(MIB, 'x'));
  // Sparse: 1 GiB of zeros that takes no disk and comes from the page cache.
  writeFileSync(join(root, '1g'), '');
  truncateSync(join(root, '1g'), GIB);
  // Run as root, nginx's workers drop to an unprivileged user: they must be able to read the file.
  for (const path of [dir, root]) chmodSync(path, 0o755);
  chmodSync(join(root, '1m'), 0o644);
  chmodSync(join(root, '1g'), 0o644);
  const servers = ports
    .map(
      (port) => `
    server {
      listen 127.0.0.1:${port} reuseport backlog=4096;
      keepalive_requests 1000000;
      client_max_body_size 0;
      location = /1m { alias ${join(root, '1m')}; default_type application/octet-stream; }
      location = /1g { alias ${join(root, '1g')}; default_type application/octet-stream; }
      location = /health { return 200 "ok"; }
      location = /upload { return 200 "ok"; }
      location / { default_type text/plain; return 200 "${SMALL_BODY.trimEnd()}\\n"; }
    }`,
    )
    .join('\n');
  writeFileSync(
    join(root, 'nginx.conf'),
    `${nginxMainContext(root)}
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  client_body_temp_path ${join(root, 'body')};
  proxy_temp_path ${join(root, 'proxy')};
  fastcgi_temp_path ${join(root, 'fastcgi')};
  uwsgi_temp_path ${join(root, 'uwsgi')};
  scgi_temp_path ${join(root, 'scgi')};
  ${servers}
}
`,
  );
  return start(cpu, 'nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')]);
}

/** Whether uws-backend.cjs runs µWebSockets here: its native binary exists for this Node (20 only). */
function nativeUwsBinaryExists() {
  const packageDir = dirname(createRequire(import.meta.url).resolve('uWebSockets.js/package.json'));
  return existsSync(join(packageDir, 'binaries', `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`));
}

function startBuiltinBackend(ports, cpu) {
  const script = new URL('./uws-backend.cjs', import.meta.url).pathname;
  return start(cpu, process.execPath, [script, ...ports.map(String)], { cwd: new URL('../..', import.meta.url).pathname });
}
