import type { RandomSource } from '../../../ports/random';
import type { BackendLoadView, BalancedBackend, Balancer } from '../balancer-types';
import { pickWeightedRandom } from './weighted-random';

/** Weighted random among available backends: `nextInt(sum of available weights)`. */
export class RandomBalancer implements Balancer {
  private readonly weights: Float64Array;

  constructor(backends: readonly BalancedBackend[], private readonly random: RandomSource) {
    this.weights = Float64Array.from(backends, (b) => b.weight);
  }

  pick(view: BackendLoadView): number {
    return pickWeightedRandom(view, this.weights, this.random);
  }
}
