import type { RandomSource } from '../../../ports/random';
import type { BackendLoadView, BalancedBackend, Balancer } from '../balancer-types';
import { HashRing, hashString } from '../hash-ring';
import { pickWeightedRandom } from './weighted-random';

/**
 * ip_hash and consistent_hash: the key (see hash-key.ts) is hashed onto a consistent-hash ring
 * built once from the backends, and walks clockwise to the first available backend. A request
 * without a key gets a weighted random pick among available backends.
 */
export class HashBalancer implements Balancer {
  private readonly ring: HashRing;
  private readonly weights: Float64Array;

  constructor(backends: readonly BalancedBackend[], private readonly random: RandomSource) {
    this.ring = new HashRing(backends);
    this.weights = Float64Array.from(backends, (b) => b.weight);
  }

  pick(view: BackendLoadView, hashKey: string | null): number {
    if (hashKey === null) return pickWeightedRandom(view, this.weights, this.random);
    return this.ring.lookup(hashString(hashKey), view);
  }
}
