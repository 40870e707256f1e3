// The proxies under test. Each starts on the pinned proxy CPU, forwards to the two backend
// ports, and returns { pid, port, stop }.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, has, start, stop, versionOf, waitForOutput, waitForPort } from './system.mjs';
import { nginxMainContext } from './nginx.mjs';
import { startHaproxyPeer } from './haproxy.mjs';
import { countAllocatedBytes, TRACE_GC_ARGS } from './allocation.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const PROX = join(ROOT, 'dist', 'cli', 'main.js');

/** Peers in table order; `available` says whether this machine can run each. */
export const PEERS = {
  prox: { label: 'prox', available: () => true, version: () => `prox ${JSON.parse(readPackage()).version}`, start: startProx },
  'prox-uws': { label: 'prox, engine: uws', available: () => true, version: () => 'prox, µWebSockets', start: (o) => startProx({ ...o, engine: 'uws' }) },
  'prox-node': { label: 'prox, engine: node', available: () => true, version: () => 'prox, node:http', start: (o) => startProx({ ...o, engine: 'node' }) },
  'prox-no-metrics': { label: 'prox, metrics off', available: () => true, version: () => 'prox, admin off', start: (o) => startProx({ ...o, metrics: false }) },
  'prox-edge': { label: 'prox, hit route with header rules + rate limit', available: () => true, version: () => 'prox, edge rules on /', start: (o) => startProx({ ...o, edge: true }) },
  'prox-2w': { label: 'prox workers: 2 (unpinned)', available: () => true, version: () => 'prox, workers: 2', start: (o) => startProx({ ...o, workers: 2 }) },
  nginx: { label: 'nginx', available: () => has('nginx'), version: () => versionOf('nginx', ['-v']), install: 'sudo apt-get install nginx', start: startNginx },
  haproxy: { label: 'HAProxy', available: () => has('haproxy'), version: () => versionOf('haproxy', ['-v']), install: 'sudo apt-get install haproxy', start: startHaproxy },
  'node-http-proxy': { label: 'node-http-proxy', node: true, available: () => canResolve('http-proxy'), version: () => `http-proxy ${packageVersion('http-proxy')}`, install: 'npm install (devDependency)', start: (o) => startNodePeer('node-http-proxy.cjs', o) },
  'fastify-http-proxy': { label: '@fastify/http-proxy', node: true, available: () => canResolve('@fastify/http-proxy'), version: () => `@fastify/http-proxy ${packageVersion('@fastify/http-proxy')}`, install: 'npm install (devDependency)', start: (o) => startNodePeer('fastify-http-proxy.cjs', o) },
};

function readPackage(name) {
  return readFileSync(name === undefined ? join(ROOT, 'package.json') : join(ROOT, 'node_modules', name, 'package.json'), 'utf8');
}
function packageVersion(name) {
  try {
    return JSON.parse(readPackage(name)).version;
  } catch {
    return '?';
  }
}
function canResolve(name) {
  try {
    readPackage(name);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a typical edge route adds (with `edge`): request header rules with placeholders, a
 * conditional rule, response headers, and a per-client rate limit that never refuses here.
 */
const EDGE_RULES = [
  '    request_headers:',
  '      - add: { X-Real-IP: "{client_ip}", X-Request-Start: "t={timestamp}", X-Route: "{route}" }',
  '        remove: [Cookie, Referer]',
  '      - condition: { path_matches: "^/admin" }',
  '        add: { X-Admin: "1" }',
  '    response_headers:',
  '      add: { X-Frame-Options: DENY, Strict-Transport-Security: "max-age=63072000" }',
  '      remove: [X-Powered-By]',
  '    rate_limit: { by: ip, requests: 1000000000, period: "1s" }',
];

/** 20 routes as a real edge config has them; the hit route `/` is the last, a balanced pair. */
export function proxConfig({ ports, accessLogFile, workers = 1, port, metrics = true, edge = false, tls = null, engine = null }) {
  const [a, b] = ports.map((p) => `http://127.0.0.1:${p}`);
  const other = [
    `"/api/v1/users": { type: proxy, target: "${a}" }`,
    `"/api/v1/orders": { type: proxy, target: "${a}", timeout_secs: 30 }`,
    `"/api/v2": { type: proxy, target: "${b}", path_rewrite: "/" }`,
    `"/static": { type: proxy, target: "${a}" }`,
    `"/assets": { type: proxy, target: "${b}" }`,
    `"/old": { type: redirect, target: "/new", status_code: 301 }`,
    `"/docs": { type: redirect, target: "https://docs.example.com" }`,
    `"/admin-ui": { type: proxy, target: "${a}" }`,
    `"/ws": { type: proxy, target: "${b}" }`,
    `"/search": { type: load_balance, strategy: least_connections, targets: ["${a}", "${b}"] }`,
    `"api.example.com/": { type: load_balance, targets: ["${a}", "${b}"] }`,
    `"api.example.com/v1": { type: proxy, target: "${a}" }`,
    `"www.example.com/": { type: proxy, target: "${b}" }`,
    `"*.example.org/": { type: proxy, target: "${a}" }`,
    `"shop.example.net/cart": { type: proxy, target: "${b}" }`,
    `"shop.example.net/": { type: proxy, target: "${a}" }`,
    `"cdn.example.com/": { type: proxy, target: "${b}" }`,
    `"status.example.com/": { type: redirect, target: "https://status.example.io" }`,
    `"/graphql": { type: proxy, target: "${a}" }`,
  ];
  return [
    `listen_addr: "127.0.0.1:${port}"`,
    `workers: ${workers}`,
    ...(engine === null ? [] : [`engine: ${engine}`]),
    ...(tls === null ? [] : [`tls: { cert_path: "${tls.cert}", key_path: "${tls.key}" }`, 'protocols: { http2_enabled: true, http2_max_concurrent_streams: 100 }']),
    metrics ? 'admin: { listen_addr: "127.0.0.1:0" }' : 'admin: { enabled: false }',
    accessLogFile === null ? 'access_log: { enabled: false }' : `access_log: { enabled: true, format: json, path: "${accessLogFile}" }`,
    'health_check: { enabled: true, interval_secs: 5, timeout_secs: 2, path: /health }',
    // Every client of the bench is 127.0.0.1: the per-address cap (1000) would refuse most of
    // the idle scenario's 10,000 connections; nginx and HAProxy have no such default.
    'limits: { max_connections_per_ip: null }',
    'routes:',
    ...other.map((line) => `  ${line}`),
    '  "/":',
    '    type: load_balance',
    '    strategy: round_robin',
    `    targets: ["${a}", "${b}"]`,
    ...(edge ? EDGE_RULES : []),
    '',
  ].join('\n');
}

async function startProx({ dir, ports, cpu, accessLog, workers = 1, metrics = true, edge = false, tls = null, dist = null, engine = null, traceGc = false }) {
  const port = await freePort();
  const file = join(dir, `prox-${workers}w${accessLog ? '-log' : ''}${metrics ? '' : '-nometrics'}${edge ? '-edge' : ''}${tls ? '-tls' : ''}${engine ? `-${engine}` : ''}.yaml`);
  const accessLogFile = accessLog ? join(dir, 'prox-access.log') : null;
  writeFileSync(file, proxConfig({ ports, workers, port, metrics, edge, tls, engine, accessLogFile }));
  const extra = [...(process.env.BENCH_PROX_NODE_ARGS ? process.env.BENCH_PROX_NODE_ARGS.split(' ') : []), ...(traceGc ? TRACE_GC_ARGS : [])];
  const child = start(workers > 1 ? null : cpu, process.execPath, [...extra, dist === null ? PROX : join(dist, 'cli', 'main.js'), 'serve', '--config', file, '--no-watch'], { cwd: dir });
  // Counting from the start: V8's collection lines (--trace-gc-nvp) share stdout with the
  // operational log, and reading it keeps prox from blocking on a full pipe.
  const allocatedBytes = countAllocatedBytes(child.stdout);
  const ready = workers > 1 ? /"msg":"workers ready"/ : /"msg":"listening"/;
  await waitForOutput(child, (text) => ready.test(text), 'prox');
  return { pid: child.pid, port, accessLogFile, stop: () => stop(child), allocatedBytes };
}

async function startNginx({ dir, ports, cpu, accessLog, tls = null }) {
  const port = await freePort();
  const root = join(dir, 'nginx-proxy');
  mkdirSync(join(root, 'logs'), { recursive: true });
  writeFileSync(
    join(root, 'nginx.conf'),
    `${nginxMainContext(root)}
http {
  # combined is nginx's default log format; buffer=64k as the issue's side-by-side asks.
  ${accessLog ? `access_log ${join(root, 'logs', 'access.log')} combined buffer=64k;` : 'access_log off;'}
  client_body_temp_path ${join(root, 'body')};
  proxy_temp_path ${join(root, 'proxy')};
  fastcgi_temp_path ${join(root, 'fastcgi')};
  uwsgi_temp_path ${join(root, 'uwsgi')};
  scgi_temp_path ${join(root, 'scgi')};
  upstream backends {
    server 127.0.0.1:${ports[0]};
    server 127.0.0.1:${ports[1]};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096${tls === null ? '' : ' ssl http2'};
    ${tls === null ? '' : `ssl_certificate ${tls.cert};\n    ssl_certificate_key ${tls.key};\n    http2_max_requests 1000000;`}
    keepalive_requests 1000000;
    client_max_body_size 0;
    location / {
      proxy_pass http://backends;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_request_buffering off;
      proxy_max_temp_file_size 0;
    }
  }
}
`,
  );
  const child = start(cpu, 'nginx', ['-p', root, '-c', join(root, 'nginx.conf'), '-e', join(root, 'logs', 'error.log')]);
  await waitForPort(port, 'nginx');
  return { pid: child.pid, port, accessLogFile: accessLog ? join(root, 'logs', 'access.log') : null, stop: () => stop(child) };
}

function startHaproxy({ dir, ports, cpu, accessLog, tls = null }) {
  return startHaproxyPeer({
    dir,
    cpu,
    ports,
    fileName: 'haproxy.cfg',
    mode: 'http',
    globalLines: accessLog ? ['log stdout format raw local0'] : [],
    defaultsLines: [...(accessLog ? ['log global', 'option httplog'] : []), 'option http-keep-alive'],
    bindSuffix: tls === null ? '' : ` ssl crt ${tls.combined} alpn h2,http/1.1`,
    backendLines: ['http-reuse always', 'option httpchk GET /health'],
  });
}

async function startNodePeer(script, { ports, cpu }) {
  const port = await freePort();
  const child = start(cpu, process.execPath, [join(ROOT, 'bench', 'lib', script), String(port), ...ports.map(String)], { cwd: ROOT });
  await waitForPort(port, script);
  child.stdout.resume();
  return { pid: child.pid, port, stop: () => stop(child) };
}
