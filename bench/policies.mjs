// npm run bench:policies (node bench/policies.mjs after `npm run build`): what the edge policies cost.
//   1. compression: CPU per MB of response body for each coding prox offers, through the same
//      ZlibResponseCompressor encoders a route uses (64 MiB of varied text per coding, in
//      1 MiB writes), against nginx's gzip module (gzip_comp_level 1, its default, and 6, the
//      level prox uses) compressing the same text served as a file, CPU read from /proc.
//   2. the per-request decisions of ip_filter, auth.basic (a remembered credential) and auth.jwt
//      (RS256 and ES256 tokens, key set cached), the pure cost a policy adds to a request.
//   3. a route with ip_filter + auth.jwt against the same route without, end to end: one prox
//      process, wrk with a bearer token, small GETs (BENCH_CONNECTIONS, 50).
// Settings: BENCH_MIB (64), BENCH_SECONDS (2), BENCH_ROUNDS (5). Figures on a shared machine are
// noisy: compare runs made back to back.
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync, existsSync } from 'node:fs';
import { createServer as createHttpServer, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { asyncRate, medianRate } from './lib/median-rate.mjs';
import { command, cpuSecondsOf, freePort, has, start, stop, waitForOutput } from './lib/system.mjs';
import { startBackend } from './lib/backends.mjs';

const require = createRequire(import.meta.url);
const DIST = join(new URL('.', import.meta.url).pathname, '..', 'dist');
const { ZlibResponseCompressor } = require(join(DIST, 'adapters', 'compression', 'zlib-compressor.js'));
const { IpFilter } = require(join(DIST, 'core', 'policies', 'ip-filter.js'));
const { BasicAuth } = require(join(DIST, 'core', 'policies', 'basic-auth.js'));
const { BcryptPasswordVerifier } = require(join(DIST, 'adapters', 'auth', 'bcrypt-password-verifier.js'));
const { trustPredicateFor } = require(join(DIST, 'adapters', 'system', 'proxy-addr-trust.js'));
const bcrypt = require('bcryptjs');

const MIB = 1024 * 1024;
const TOTAL_MIB = Number(process.env.BENCH_MIB ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

/** 1 MiB of text that compresses like real pages: repeating words, varying numbers. */
function textMiB() {
  const lines = [];
  let length = 0;
  for (let i = 0; length < MIB; i++) {
    const line = `<li id="item-${i}" class="row">${(i * 7919) % 100003} the quick brown fox ${i % 97} jumps over the lazy dog</li>\n`;
    lines.push(line);
    length += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, MIB);
}

const PIECE = textMiB();

function cpuMs() {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Streams TOTAL_MIB through one encoder with backpressure; CPU of this process (zlib threads included). */
async function compressCost(compressor, coding) {
  let outBytes = 0;
  let resolveEnd;
  const ended = new Promise((resolve) => (resolveEnd = resolve));
  const encoder = compressor.open(coding, { data: (chunk) => ((outBytes += chunk.length), true), end: () => resolveEnd(), failed: (e) => { throw e; } });
  const cpu0 = cpuMs();
  const t0 = performance.now();
  for (let i = 0; i < TOTAL_MIB; i++) {
    if (!encoder.write(PIECE)) await new Promise((resolve) => encoder.onDrain(resolve));
  }
  encoder.end();
  await ended;
  const wallMs = performance.now() - t0;
  const cpu = cpuMs() - cpu0;
  return { cpuMsPerMiB: cpu / TOTAL_MIB, mibPerSec: TOTAL_MIB / (wallMs / 1000), ratio: outBytes / (TOTAL_MIB * MIB) };
}

async function get(port, accept) {
  const req = request({ host: '127.0.0.1', port, path: '/page.html', headers: { 'accept-encoding': accept }, agent: false });
  req.end();
  const [res] = await once(req, 'response');
  let bytes = 0;
  for await (const chunk of res) bytes += chunk.length;
  return { bytes, coding: res.headers['content-encoding'] };
}

async function nginxGzipCost(level) {
  const nginx = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));
  if (nginx === undefined) return null;
  const dir = mkdtempSync(join(tmpdir(), 'prox-bench-gzip-'));
  writeFileSync(join(dir, 'page.html'), PIECE);
  const port = await freePort();
  writeFileSync(
    join(dir, 'nginx.conf'),
    `daemon off; master_process off; worker_processes 1; error_log ${dir}/error.log; pid ${dir}/nginx.pid;
events {}
http {
  access_log off; client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  types { text/html html; }
  gzip on; gzip_comp_level ${level}; gzip_types text/html; gzip_min_length 1024;
  server { listen 127.0.0.1:${port}; root ${dir}; }
}
`,
  );
  const child = spawn(nginx, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try {
      await get(port, 'identity');
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  const idle = cpuSecondsOf(child.pid) * 1000;
  let out = 0;
  for (let i = 0; i < TOTAL_MIB; i++) {
    const answer = await get(port, 'gzip');
    if (answer.coding !== 'gzip') throw new Error('nginx did not gzip');
    out += answer.bytes;
  }
  const cpu = cpuSecondsOf(child.pid) * 1000 - idle;
  child.kill('SIGTERM');
  await once(child, 'exit');
  return { cpuMsPerMiB: cpu / TOTAL_MIB, ratio: out / (TOTAL_MIB * MIB) };
}

const pct = (ratio) => `${(ratio * 100).toFixed(1)}%`;
console.log(`node ${process.version}; ${TOTAL_MIB} MiB per coding; zlib zstd: ${typeof require('node:zlib').createZstdCompress === 'function' ? 'yes' : 'no (Node < 22.15)'}`);
console.log('\n1. compression (CPU ms per MiB of body; lower is better)');
const compressor = new ZlibResponseCompressor();
for (const coding of compressor.available) {
  const r = await compressCost(compressor, coding);
  console.log(`  prox ${coding.padEnd(5)} ${r.cpuMsPerMiB.toFixed(2).padStart(7)} ms/MiB  ${r.mibPerSec.toFixed(0).padStart(5)} MiB/s  output ${pct(r.ratio)}`);
}
for (const level of [1, 6]) {
  const r = await nginxGzipCost(level);
  if (r === null) {
    console.log('  nginx: not installed (apt-get install nginx)');
    break;
  }
  console.log(`  nginx gzip level ${level} ${r.cpuMsPerMiB.toFixed(2).padStart(7)} ms/MiB (whole worker: HTTP included)  output ${pct(r.ratio)}`);
}

console.log('\n2. per-request policy decisions (median of rounds)');
const requests = Array.from({ length: 65536 }, (_, i) => ({ remoteAddress: `10.${(i >> 8) & 255}.${i & 255}.7`, headers: ['host', 'example.com'] }));
const filter = new IpFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.9.9.9/32'] }, trustPredicateFor, () => false);
const rate = medianRate((n) => filter.admits(requests[n & 65535]));
console.log(`  ip_filter (2 allow, 1 deny range): ${(1e9 / rate).toFixed(0)} ns per request`);
const auth = new BasicAuth({ scheme: 'basic', realm: 'b', users: [{ name: 'alice', hash: bcrypt.hashSync('pw', 10) }], forwardCredentials: false }, new BcryptPasswordVerifier());
const authRequest = { headers: ['authorization', 'Basic ' + Buffer.from('alice:pw').toString('base64')] };
await auth.admits(authRequest);
const authRate = await asyncRate(() => auth.admits(authRequest));
console.log(`  auth.basic, remembered credential: ${(1e9 / authRate).toFixed(0)} ns per request (first check of a credential: one bcrypt cost-10 compare, ~tens of ms)`);

// auth.jwt's decision with the key set already fetched: token extraction, signature, claims, headers.
const jose = require('jose');
const { JwtAuth } = require(join(DIST, 'core', 'policies', 'jwt-auth.js'));
const { JoseTokenVerifier } = require(join(DIST, 'adapters', 'jwt', 'jose-token-verifier.js'));
const { SystemClock } = require(join(DIST, 'adapters', 'system', 'system-clock.js'));
const ISSUER = 'https://idp.bench';
async function jwtFixture(alg) {
  const { publicKey, privateKey } = await jose.generateKeyPair(alg);
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: `k-${alg}`, alg };
  const token = await new jose.SignJWT({ sub: 'alice' }).setProtectedHeader({ alg, kid: jwk.kid }).setIssuer(ISSUER).setAudience('bench').setExpirationTime('2h').sign(privateKey);
  return { jwk, token };
}
const jwtSpec = (jwksUrl) => ({ scheme: 'jwt', jwksUrl, issuer: ISSUER, audience: 'bench', algorithms: ['RS256', 'ES256'], leewaySecs: 30, jwksCacheMs: 600_000, claimsToHeaders: [{ claim: 'sub', header: 'x-user' }], tokenCookie: null, realm: 'prox', forwardCredentials: false });
for (const alg of ['RS256', 'ES256']) {
  const { jwk, token } = await jwtFixture(alg);
  const keySet = { keys: [jwk] };
  const jwt = new JwtAuth(jwtSpec('http://unused'), { keySets: { fetch: async () => ({ kind: 'keys', keySet }) }, tokens: new JoseTokenVerifier(), clock: new SystemClock() });
  const jwtRequest = { method: 'GET', headers: ['host', 'example.com', 'authorization', `Bearer ${token}`] };
  if (!(await jwt.check(jwtRequest)).pass) throw new Error('bench token refused');
  const jwtRate = await asyncRate(() => jwt.check(jwtRequest));
  console.log(`  auth.jwt ${alg}, key set cached: ${(1e6 / jwtRate).toFixed(1)} µs per request`);
}

// 3. End to end: the same proxy route with and without ip_filter + auth.jwt, interleaved runs.
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
if (!has('wrk')) {
  console.log('\n3. route with ip_filter + auth.jwt: skipped, wrk is not installed (apt-get install wrk)');
} else {
  console.log(`\n3. route with ip_filter + auth.jwt (RS256) vs the same route without (wrk, ${CONNECTIONS} connections, ${SECONDS} s runs, interleaved)`);
  const dir = mkdtempSync(join(tmpdir(), 'prox-bench-policies-'));
  const backend = await startBackend('builtin', dir, 1);
  const { jwk, token } = await jwtFixture('RS256');
  const jwks = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }))).listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  const port = await freePort();
  const target = `http://127.0.0.1:${backend.ports[0]}`;
  const file = join(dir, 'prox.yaml');
  writeFileSync(
    file,
    [
      `listen_addr: "127.0.0.1:${port}"`,
      'admin: { enabled: false }',
      'access_log: { enabled: false }',
      'routes:',
      `  /plain: { type: proxy, target: "${target}", strip_prefix: true }`,
      `  /guarded:`,
      `    type: proxy`,
      `    target: "${target}"`,
      `    strip_prefix: true`,
      `    ip_filter: { allow: ["127.0.0.0/8", "10.0.0.0/8"], deny: ["10.9.9.9/32"] }`,
      `    auth: { jwt: { jwks_url: "http://127.0.0.1:${jwks.address().port}/jwks", issuer: "${ISSUER}", audience: bench, claims_to_headers: { sub: X-User } } }`,
      '',
    ].join('\n'),
  );
  const prox = start(0, process.execPath, [join(DIST, 'cli', 'main.js'), 'serve', '--config', file, '--no-watch'], { cwd: dir });
  await waitForOutput(prox, (text) => /"msg":"listening"/.test(text), 'prox');
  prox.stdout.resume();
  // Asynchronous: the key set is served from this process, which must keep answering meanwhile.
  const wrk = async (path) => {
    const [sh, args] = command(1, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '-H', `Authorization: Bearer ${token}`, `http://127.0.0.1:${port}${path}`]);
    const { stdout: out } = await promisify(execFile)(sh, args, { encoding: 'utf8' });
    if (/Non-2xx/.test(out)) throw new Error(`wrk got non-2xx answers on ${path}:\n${out}`);
    return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]), latency: /Latency\s+(\S+)/.exec(out)[1] };
  };
  try {
    const rows = { '/plain': [], '/guarded': [] };
    for (let round = 0; round < Math.max(2, ROUNDS); round++) for (const path of ['/plain', '/guarded']) rows[path].push(await wrk(path));
    const median = (path) => rows[path].map((r) => r.rps).sort((x, y) => x - y)[Math.floor(rows[path].length / 2)];
    for (const path of ['/plain', '/guarded']) console.log(`  ${path.padEnd(9)} ${rows[path].map((r) => `${r.rps.toFixed(0)} req/s (avg latency ${r.latency})`).join(', ')}`);
    const plain = median('/plain');
    const guarded = median('/guarded');
    const extraUs = 1e6 / guarded - 1e6 / plain;
    console.log(`  medians: guarded ${guarded.toFixed(0)} req/s, plain ${plain.toFixed(0)} req/s (ratio ${(guarded / plain).toFixed(2)}; ${extraUs >= 0 ? '+' : ''}${extraUs.toFixed(1)} µs of the proxy's core per request)`);
  } finally {
    await stop(prox);
    await backend.stop();
    jwks.close();
  }
}
