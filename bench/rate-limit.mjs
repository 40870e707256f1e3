// node bench/rate-limit.mjs (after `npm run build`): rate-limit decisions per second of each
// algorithm on the in-memory store, with 1 key and with 100000 distinct keys (round robin, so
// every decision touches a different key and the LRU reordering is exercised). Also the cost of
// the full decision as the pipeline makes it (key from the client address, header values).
//
// Measured on the shared 2-core development VM, Node 20.20 (median of 5 rounds of 2 s each):
//   store.take        token_bucket    1 key 63 ns, 100000 keys 199 ns
//   store.take        fixed_window    1 key 73 ns, 100000 keys 209 ns
//   store.take        sliding_window  1 key 77 ns, 100000 keys 283 ns
//   pipeline decision (key + counter + header values), 100000 keys: 360-460 ns
// i.e. well under a microsecond per request, against tens of microseconds for proxying one.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { medianRate } from './lib/median-rate.mjs';

const require = createRequire(import.meta.url);
const DIST = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', 'dist');
const { MemoryRateLimitStore } = require(join(DIST, 'adapters', 'memory', 'memory-rate-limit-store.js'));
const { RouteRateLimit } = require(join(DIST, 'core', 'rate-limit', 'route-rate-limit.js'));
const { decideRateLimit } = require(join(DIST, 'core', 'rate-limit', 'rate-limit-decision.js'));

const SECONDS = Number(process.env.BENCH_SECONDS ?? '2');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? '5');
const ALGORITHMS = ['token_bucket', 'fixed_window', 'sliding_window'];

function spec(algorithm) {
  // A high limit so most decisions are "allowed" and state is written (the common case).
  return { by: 'ip', headerName: null, requests: 1_000_000, periodSecs: 60, statusCode: 429, message: null, algorithm, onMissingKey: 'allow', burst: 1_000_000, mode: 'enforce', maxKeys: 100_000 };
}

const format = (rate) => `${(rate / 1e6).toFixed(2)} M/s (${(1e9 / rate).toFixed(0)} ns each)`;

console.log(`node ${process.version}, ${SECONDS} s × ${ROUNDS} rounds, median`);
for (const algorithm of ALGORITHMS) {
  for (const keys of [1, 100_000]) {
    const store = new MemoryRateLimitStore();
    const counter = store.counter(algorithm + keys, { algorithm, requests: 1_000_000, periodMs: 60_000, burst: 1_000_000, maxKeys: 100_000 });
    const names = Array.from({ length: keys }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    const t0 = Date.now();
    const rate = medianRate((n) => counter.take(names[n % keys], t0 + (n >> 10)));
    console.log(`store.take  ${algorithm.padEnd(14)} ${String(keys).padStart(6)} key(s): ${format(rate)}; keys held ${counter.size}`);
  }
}
// The whole stage as the pipeline runs it: key extraction (by ip, no trusted proxies), counter,
// RateLimit header values.
for (const algorithm of ALGORITHMS) {
  const limit = new RouteRateLimit('/bench', spec(algorithm), new MemoryRateLimitStore(), () => false);
  const requests = Array.from({ length: 100_000 }, (_, i) => ({ remoteAddress: `10.0.${(i >> 8) & 255}.${i & 255}`, headers: ['host', 'example.com'] }));
  const t0 = Date.now();
  const rate = medianRate((n) => decideRateLimit(limit, requests[n % requests.length], t0 + (n >> 10)));
  console.log(`pipeline decision ${algorithm.padEnd(14)} 100000 keys: ${format(rate)}`);
}
