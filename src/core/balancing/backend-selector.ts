import type { RandomSource } from '../../ports/random';

/** Chooses which of a route's backends serves the next request. State lives across requests. */
export interface BackendSelector {
  /** Index into the route's backend list. */
  pick(): number;
}

/** Strict rotation; the cursor persists across requests (and is never reset per request). */
export class RoundRobinSelector implements BackendSelector {
  private cursor = 0;
  constructor(private readonly size: number) {}

  pick(): number {
    const index = this.cursor;
    this.cursor = index + 1 === this.size ? 0 : index + 1;
    return index;
  }
}

export class RandomSelector implements BackendSelector {
  constructor(private readonly size: number, private readonly random: RandomSource) {}

  pick(): number {
    return this.random.nextInt(this.size);
  }
}

/** A single backend needs no decision. */
export class SoleBackendSelector implements BackendSelector {
  pick(): number {
    return 0;
  }
}
