// Interleaved rounds: round 1 runs every peer of a scenario, then round 2 every peer, and so on,
// so a slow minute of a shared machine hits every peer instead of one. A peer's reported row is
// its round with the median figure, kept whole (its latency and memory come from that run).

/** Scenarios whose figures the targets compare: 3 rounds unless BENCH_ROUNDS says. */
const MEDIAN_SCENARIOS = ['small', 'small-log'];
const DEFAULT_ROUNDS = 3;

/**
 * Rounds per request scenario: BENCH_ROUNDS for every one when it is set, otherwise 3 for the
 * scenarios the targets compare and 1 for the rest.
 */
export function roundsFor(scenarioName, setting = process.env.BENCH_ROUNDS) {
  if (setting === undefined || setting === '') return MEDIAN_SCENARIOS.includes(scenarioName) ? DEFAULT_ROUNDS : 1;
  const rounds = Number(setting);
  if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`BENCH_ROUNDS must be a whole number ≥ 1, not "${setting}"`);
  return rounds;
}

/**
 * One row from a peer's rounds (in round order): the round with the median `key`, for an even
 * count the upper of the two middle ones, plus `rounds` (req/s of every round, null where one
 * failed) and, when `key` is not req/s, `roundsMbps`. Failed rounds are left out of the median;
 * when all failed, the row is the first failure.
 */
export function medianRow(runs, key) {
  const measured = runs.filter((run) => !run.failed);
  if (measured.length === 0) return runs[0];
  const median = [...measured].sort((a, b) => a[key] - b[key])[Math.floor(measured.length / 2)];
  const row = { ...median, rounds: runs.map((run) => (run.failed ? null : run.rps)) };
  if (key !== 'rps') row.roundsMbps = runs.map((run) => (run.failed ? null : run.mbps));
  if (measured.length < runs.length) row.failedRounds = runs.filter((run) => run.failed).map((run) => run.failed);
  return row;
}
