import type { Parameters } from 'fast-check';

/**
 * Property tests run a fixed number of cases from a fixed seed, so `npm test` is fast and every
 * run checks the same cases. PROX_PROPERTY_SEED=N (and PROX_PROPERTY_RUNS=N) explore others;
 * a failure prints its seed and counterexample path, which reproduce it.
 */
export const PROPERTY_SEED = Number(process.env.PROX_PROPERTY_SEED ?? 20261203);

export function bounded(numRuns = 300): Parameters<unknown> {
  return { seed: PROPERTY_SEED, numRuns: Number(process.env.PROX_PROPERTY_RUNS ?? numRuns) };
}
