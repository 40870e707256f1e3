import type { UpstreamTarget } from '../forwarding/upstream-target';
import type { CircuitBreaker } from '../health/circuit-breaker';
import type { HealthMonitor } from '../health/health-monitor';
import type { PassiveHealth } from '../health/passive-health';

/** Requests in flight to one backend URL, shared by every route that uses it. */
export class BackendLoad {
  inFlight = 0;
  /** Open WebSocket sessions to it: each holds a connection as long as it runs. */
  webSocketSessions = 0;
}

/**
 * One backend as one route sees it. Active health and load belong to the backend; passive
 * health and the breaker belong to the route's use of it (routes may configure them differently).
 */
export class PoolMember {
  constructor(
    readonly target: UpstreamTarget,
    readonly weight: number,
    readonly load: BackendLoad,
    readonly monitor: HealthMonitor | null,
    readonly passive: PassiveHealth | null,
    readonly breaker: CircuitBreaker | null,
  ) {}

  /** Active and passive health agree it may take traffic (the breaker is judged separately). */
  isHealthy(nowMs: number): boolean {
    return (this.monitor === null || this.monitor.healthy) && (this.passive === null || !this.passive.isEjected(nowMs));
  }

  breakerAllows(nowMs: number): boolean {
    return this.breaker === null || this.breaker.allows(nowMs);
  }

  /** Earliest time from now at which this backend might be available again. */
  msUntilPossiblyAvailable(nowMs: number): number {
    let wait = 0;
    if (this.breaker !== null) wait = Math.max(wait, this.breaker.remainingOpenMs(nowMs));
    if (this.passive !== null) wait = Math.max(wait, this.passive.remainingMs(nowMs));
    if (this.monitor !== null && !this.monitor.healthy) wait = Math.max(wait, this.monitor.intervalMs);
    return wait;
  }
}
