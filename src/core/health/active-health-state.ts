export type HealthTransition = 'became_healthy' | 'became_unhealthy' | null;

/**
 * Up/down state of one backend from active probes.
 *
 * The first result sets the state directly (a backend that is down at startup must not take
 * traffic until it has failed `unhealthy_threshold` probes); after that a backend flips only
 * after the threshold of consecutive opposite results, so one lost probe never flaps it.
 * Until the first result the backend counts as healthy, as in HAProxy.
 */
export class ActiveHealthState {
  private known = false;
  private up = true;
  private streak = 0;

  constructor(
    private readonly unhealthyThreshold: number,
    private readonly healthyThreshold: number,
  ) {}

  get healthy(): boolean {
    return this.up;
  }

  get hasResult(): boolean {
    return this.known;
  }

  record(passed: boolean): HealthTransition {
    if (!this.known) {
      this.known = true;
      this.up = passed;
      this.streak = 0;
      return passed ? null : 'became_unhealthy';
    }
    if (passed === this.up) {
      this.streak = 0;
      return null;
    }
    this.streak++;
    if (this.streak < (passed ? this.healthyThreshold : this.unhealthyThreshold)) return null;
    this.up = passed;
    this.streak = 0;
    return passed ? 'became_healthy' : 'became_unhealthy';
  }
}
