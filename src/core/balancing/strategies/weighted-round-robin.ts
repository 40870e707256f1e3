import type { BackendLoadView, BalancedBackend, Balancer } from '../balancer-types';

/**
 * nginx's smooth weighted round robin: each pick adds every available backend's weight to its
 * `current`, takes the largest `current` (ties: lowest index) and subtracts the sum of the
 * available weights from it. Weights 5/1/1 give a a b a c a a, repeating. Unavailable backends
 * take no part and keep their `current` as it was.
 */
export class WeightedRoundRobinBalancer implements Balancer {
  private readonly weights: Float64Array;
  private readonly current: Float64Array;

  constructor(backends: readonly BalancedBackend[]) {
    this.weights = Float64Array.from(backends, (b) => b.weight);
    this.current = new Float64Array(backends.length);
  }

  pick(view: BackendLoadView): number {
    const weights = this.weights;
    const current = this.current;
    let total = 0;
    let best = -1;
    for (let i = 0; i < weights.length; i++) {
      if (!view.isAvailable(i)) continue;
      current[i] += weights[i];
      total += weights[i];
      if (best === -1 || current[i] > current[best]) best = i;
    }
    if (best !== -1) current[best] -= total;
    return best;
  }
}
