/**
 * "Did you mean ...?" suggestions for misspelt field names and enum values.
 */

/** Optimal-string-alignment distance: like Levenshtein, but a swap of neighbours costs 1 (tagret -> target). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
  for (let i = 0; i < rows; i++) d[i]![0] = i;
  for (let j = 0; j < cols; j++) d[0]![j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/** Case and `-`/`_` differences are the commonest slips, so they do not count as edits. */
function canonical(name: string): string {
  return name.toLowerCase().replace(/-/g, '_');
}

/**
 * The candidate closest to `input`, or null when none is close enough to be a plausible typo.
 * A candidate that merely extends the input (`timeout` -> `timeout_secs`) also counts.
 */
export function closestMatch(input: string, candidates: readonly string[]): string | null {
  const wanted = canonical(input);
  if (wanted.length === 0) return null;
  const allowed = Math.max(1, Math.floor(wanted.length / 3));
  let best: { candidate: string; distance: number } | null = null;
  for (const candidate of candidates) {
    const known = canonical(candidate);
    const distance = wanted.length >= 4 && known.startsWith(wanted) ? 1 : editDistance(wanted, known);
    if (distance <= allowed && (best === null || distance < best.distance)) {
      best = { candidate, distance };
    }
  }
  return best?.candidate ?? null;
}
