import type { BackendLoadView, Balancer } from '../balancer-types';

/**
 * Strict rotation ignoring weights. The cursor persists across requests; unavailable backends
 * are skipped and the cursor moves just past the backend picked.
 */
export class RoundRobinBalancer implements Balancer {
  private cursor = 0;

  constructor(private readonly size: number) {}

  pick(view: BackendLoadView): number {
    const size = this.size;
    let index = this.cursor;
    for (let step = 0; step < size; step++) {
      if (view.isAvailable(index)) {
        this.cursor = index + 1 === size ? 0 : index + 1;
        return index;
      }
      index = index + 1 === size ? 0 : index + 1;
    }
    return -1;
  }
}
