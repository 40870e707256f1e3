import type { CompiledConfig } from '../core/compiled-route';
import type { BackendEvents } from '../core/backends/backend-events';
import type { UpstreamTarget } from '../core/forwarding/upstream-target';
import type { BreakerState } from '../core/health/circuit-breaker';
import type { Logger } from '../ports/logger';
import type { BackendStateReason, BackendStateTarget } from '../ports/metrics';

export type TransitionSink = (route: string, backend: string, to: BackendStateTarget, reason: BackendStateReason) => void;

/**
 * Backend state changes go to the log (one line each, so operators can follow an incident)
 * and to metrics. Health belongs to a backend, metrics are per route: a health change counts
 * once for every route that uses the backend.
 */
export class ObservedBackendEvents implements BackendEvents {
  constructor(
    private readonly logger: Logger,
    private readonly transition: TransitionSink,
    private readonly current: () => CompiledConfig | null,
  ) {}

  healthChanged(target: UpstreamTarget, healthy: boolean, reason: string): void {
    if (healthy) this.logger.info('backend healthy', { backend: target.url, reason });
    else this.logger.warn('backend unhealthy', { backend: target.url, reason });
    const compiled = this.current();
    if (compiled === null) return;
    for (const route of compiled.routes.all()) {
      if (route.kind !== 'forward') continue;
      if (route.pool.members.some((member) => member.target.url === target.url && member.monitor !== null)) {
        this.transition(route.key, target.url, healthy ? 'healthy' : 'unhealthy', 'active_check');
      }
    }
  }

  ejected(routeKey: string, target: UpstreamTarget, durationMs: number): void {
    this.logger.warn('backend ejected', { route: routeKey, backend: target.url, durationMs });
    this.transition(routeKey, target.url, 'ejected', 'passive_ejection');
  }

  breakerChanged(routeKey: string, target: UpstreamTarget, state: BreakerState): void {
    this.logger.warn('circuit breaker ' + state, { route: routeKey, backend: target.url });
    if (state !== 'half_open') this.transition(routeKey, target.url, state === 'open' ? 'breaker_open' : 'breaker_closed', 'circuit_breaker');
  }
}
