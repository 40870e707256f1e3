import type { Balancer } from '../balancer-types';

/** A route without backends: nothing is ever available. */
export class NoBackendBalancer implements Balancer {
  pick(): number {
    return -1;
  }
}
