// node bench/header-rules.mjs (after npm run build): per-request cost of request header rules.
// Builds the upstream header list of a 12-header request N times without rules, then with a
// realistic rule set (3 adds with placeholders, 2 removes, 1 conditional block), and prints
// ns/request for both and the difference.
import { join } from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const DIST = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist');
const { loadConfigText } = require(join(DIST, 'config', 'loader.js'));
const { RouteRules } = require(join(DIST, 'core', 'rules', 'route-rules.js'));
const { ExchangeRules } = require(join(DIST, 'core', 'rules', 'exchange-rules.js'));
const { buildUpstreamRequestHeaders } = require(join(DIST, 'core', 'forwarding', 'request-headers.js'));

const N = Number(process.env.BENCH_ITERATIONS ?? 2_000_000);
const ROUNDS = 5;

const yaml = `
listen_addr: "127.0.0.1:3000"
routes:
  /api:
    type: proxy
    target: "http://backend:8080"
    request_headers:
      - add:
          X-Real-IP: "{client_ip}"
          X-Request-Start: "t={timestamp}"
          X-Trace: "{request_id};route={route}"
        remove: [User-Agent, Referer]
      - condition: {path_matches: "^/api/admin", method_is: POST}
        add: {X-Admin: "1"}
`;
const loaded = loadConfigText(yaml, 'bench.yaml');
if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
const trusted = (address) => address === '10.0.0.1';
const rules = RouteRules.compile(loaded.config.routes[0].rules, '/api', trusted);

const request = {
  method: 'GET',
  path: '/api/users/42',
  query: 'page=2',
  hostname: 'shop.example.com',
  authority: 'shop.example.com',
  headers: [
    'host', 'shop.example.com',
    'user-agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
    'accept', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8',
    'accept-language', 'en-GB,en;q=0.9',
    'accept-encoding', 'gzip, deflate, br',
    'referer', 'https://shop.example.com/',
    'cookie', 'session=abc123; theme=dark',
    'cache-control', 'no-cache',
    'x-forwarded-for', '198.51.100.9',
    'sec-fetch-mode', 'navigate',
    'connection', 'keep-alive',
    'upgrade-insecure-requests', '1',
  ],
  remoteAddress: '10.0.0.1',
  scheme: 'http',
  body: null,
};
const policy = { preserveHost: false, isTrustedPeer: trusted };
const clock = { nowMs: () => Date.now(), monotonicMs: () => performance.now(), setTimer: () => ({ cancel() {} }) };
const requestId = { header: 'x-request-id', value: 'k3j2h1g0f9-1a' };

let sink = 0;
function baseline() {
  for (let i = 0; i < N; i++) {
    const headers = buildUpstreamRequestHeaders(request, 'backend:8080', policy, requestId);
    sink += headers.length;
  }
}
function withRules() {
  for (let i = 0; i < N; i++) {
    const headers = buildUpstreamRequestHeaders(request, 'backend:8080', policy, requestId);
    new ExchangeRules(rules, request, request.path, requestId.value, clock).editUpstreamHeaders(headers);
    sink += headers.length;
  }
}

function nsPerRequest(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / N;
}

// Warm up both paths so both are optimised before timing.
for (let i = 0; i < 2; i++) { baseline(); withRules(); }
const base = [];
const ruled = [];
for (let round = 0; round < ROUNDS; round++) {
  base.push(nsPerRequest(baseline));
  ruled.push(nsPerRequest(withRules));
}
const median = (values) => values.slice().sort((a, b) => a - b)[Math.floor(values.length / 2)];
const sample = buildUpstreamRequestHeaders(request, 'backend:8080', policy, requestId);
new ExchangeRules(rules, request, request.path, requestId.value, clock).editUpstreamHeaders(sample);
console.log(`upstream headers with rules (${sample.length / 2}):`, sample.filter((_, i) => i % 2 === 0).join(' '));
console.log(`node ${process.version}, ${N} requests x ${ROUNDS} rounds (median)`);
console.log(`header list without rules: ${median(base).toFixed(0)} ns/request`);
console.log(`header list with rules:    ${median(ruled).toFixed(0)} ns/request`);
console.log(`cost of the rules:         ${(median(ruled) - median(base)).toFixed(0)} ns/request`);
if (sink === 0) console.log('');
