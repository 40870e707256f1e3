import type { BackendLoadView, Balancer } from '../balancer-types';

/**
 * Fewest requests in flight among available backends, ignoring weights. Ties go round robin:
 * the scan starts at a cursor that moves just past each pick, and the first least-loaded
 * backend met wins, so equal loads spread instead of piling onto index 0.
 */
export class LeastConnectionsBalancer implements Balancer {
  private cursor = 0;

  constructor(private readonly size: number) {}

  pick(view: BackendLoadView): number {
    const size = this.size;
    let best = -1;
    let bestLoad = Infinity;
    let index = this.cursor;
    for (let step = 0; step < size; step++) {
      if (view.isAvailable(index)) {
        const load = view.inFlight(index);
        if (load < bestLoad) {
          best = index;
          bestLoad = load;
        }
      }
      index = index + 1 === size ? 0 : index + 1;
    }
    if (best !== -1) this.cursor = best + 1 === size ? 0 : best + 1;
    return best;
  }
}
