import type { RandomSource } from '../../../ports/random';
import type { BackendLoadView } from '../balancer-types';

/**
 * Weighted random choice among the available backends: one `nextInt` over the sum of their
 * weights. -1 (and no draw) when none is available. Allocates nothing.
 */
export function pickWeightedRandom(view: BackendLoadView, weights: Float64Array, random: RandomSource): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    if (view.isAvailable(i)) total += weights[i];
  }
  if (total === 0) return -1;
  let remaining = random.nextInt(total);
  let last = -1;
  for (let i = 0; i < weights.length; i++) {
    if (!view.isAvailable(i)) continue;
    if (remaining < weights[i]) return i;
    remaining -= weights[i];
    last = i;
  }
  // Only reachable if the view changed between the two passes or the source broke its range.
  return last;
}
