import type { RandomSource } from '../../../ports/random';
import type { BackendLoadView, Balancer } from '../balancer-types';

/**
 * Power of two choices, ignoring weights: two distinct uniform draws among the available
 * backends (`nextInt(k)` then `nextInt(k - 1)`), the one with fewer requests in flight wins;
 * a tie goes to the first drawn. With a single available backend it is chosen without a draw.
 */
export class PowerOfTwoBalancer implements Balancer {
  constructor(private readonly size: number, private readonly random: RandomSource) {}

  pick(view: BackendLoadView): number {
    const size = this.size;
    let available = 0;
    let only = -1;
    for (let i = 0; i < size; i++) {
      if (view.isAvailable(i)) {
        available++;
        only = i;
      }
    }
    if (available <= 1) return only;

    const firstRank = this.random.nextInt(available);
    let secondRank = this.random.nextInt(available - 1);
    if (secondRank >= firstRank) secondRank++;

    let first = -1;
    let second = -1;
    let rank = 0;
    for (let i = 0; i < size && (first === -1 || second === -1); i++) {
      if (!view.isAvailable(i)) continue;
      if (rank === firstRank) first = i;
      else if (rank === secondRank) second = i;
      rank++;
    }
    if (first === -1 || second === -1) return first !== -1 ? first : second; // view changed mid-pick
    return view.inFlight(second) < view.inFlight(first) ? second : first;
  }
}
