import type { UpstreamTarget } from '../forwarding/upstream-target';
import type { BreakerState } from '../health/circuit-breaker';

/** State changes of backends, for logs now and metrics later. */
export interface BackendEvents {
  healthChanged(target: UpstreamTarget, healthy: boolean, reason: string): void;
  ejected(routeKey: string, target: UpstreamTarget, durationMs: number): void;
  breakerChanged(routeKey: string, target: UpstreamTarget, state: BreakerState): void;
}
