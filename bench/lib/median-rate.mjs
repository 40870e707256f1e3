// The timing loop of the in-process micro-benchmarks (bench/rate-limit.mjs, bench/policies.mjs):
// `step(n)` called in batches of 1000 for `seconds`, `rounds` times; the median rate per second.
export function medianRate(step, { seconds = Number(process.env.BENCH_SECONDS ?? 2), rounds = Number(process.env.BENCH_ROUNDS ?? 5) } = {}) {
  const rates = [];
  for (let round = 0; round < rounds; round++) {
    let n = 0;
    const start = performance.now();
    const end = start + seconds * 1000;
    let now = start;
    while (now < end) {
      for (let i = 0; i < 1000; i++) step(n++);
      now = performance.now();
    }
    rates.push(n / ((now - start) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[Math.floor(rates.length / 2)];
}

/** The same for an async step, awaited one at a time, for `seconds` (one round: the awaits smooth it). */
export async function asyncRate(step, { seconds = Number(process.env.BENCH_SECONDS ?? 2) } = {}) {
  let n = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  let now = start;
  while (now < end) {
    for (let i = 0; i < 100; i++) await step(n++);
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}
