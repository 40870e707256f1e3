import type { BalanceStrategy, CircuitBreakerSpec, HealthCheckSpec, PassiveHealthSpec } from '../model';
import type { Clock } from '../../ports/clock';
import type { HealthProbe } from '../../ports/health-probe';
import type { RandomSource } from '../../ports/random';
import { Balancer, BalancedBackend, createBalancer } from '../balancing/balancer';
import type { UpstreamTarget } from '../forwarding/upstream-target';
import { CircuitBreaker } from '../health/circuit-breaker';
import { HealthMonitor } from '../health/health-monitor';
import { PassiveHealth } from '../health/passive-health';
import type { BackendEvents } from './backend-events';
import { BackendLoad } from './pool-member';

export interface BackendRegistryDependencies {
  readonly probe: HealthProbe;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: BackendEvents;
}

/**
 * Live backend state that outlives a config: in-flight counts, health monitors, passive
 * health, breakers and balancer cursors, each keyed by what defines it. A reload builds a new
 * generation that reuses every entry whose key is unchanged, so a backend keeps its health
 * and its breaker across reloads, and only entries no longer used are dropped on commit.
 */
export class BackendRegistry {
  /** The committed state: an empty generation until the first commit. */
  private current: BackendGeneration;

  constructor(private readonly deps: BackendRegistryDependencies) {
    this.current = new BackendGeneration(null, deps);
  }

  beginGeneration(): BackendGeneration {
    return new BackendGeneration(this.current, this.deps);
  }

  /** Makes `generation` the current state; monitors it no longer uses are stopped. */
  commit(generation: BackendGeneration): void {
    for (const [key, monitor] of this.current.monitors) if (!generation.monitors.has(key)) monitor.stop();
    this.current = generation;
  }

  /** Drops a generation that will not be used: stops the monitors it created. */
  abandon(generation: BackendGeneration): void {
    for (const monitor of generation.createdMonitors) monitor.stop();
  }

  stopAll(): void {
    for (const monitor of this.current.monitors.values()) monitor.stop();
  }

  /** The committed generation's monitors. */
  get currentMonitors(): Iterable<HealthMonitor> {
    return this.current.monitors.values();
  }
}

/** The state objects one config uses, reusing the registry's where the key matches. */
export class BackendGeneration {
  readonly loads = new Map<string, BackendLoad>();
  readonly monitors = new Map<string, HealthMonitor>();
  readonly passives = new Map<string, PassiveHealth>();
  readonly breakers = new Map<string, CircuitBreaker>();
  readonly balancers = new Map<string, Balancer>();
  readonly createdMonitors: HealthMonitor[] = [];

  constructor(
    /** The generation whose entries are reused; null for the very first. */
    private readonly previous: BackendGeneration | null,
    private readonly deps: BackendRegistryDependencies,
  ) {}

  load(target: UpstreamTarget): BackendLoad {
    return this.reuse(this.loads, this.previous?.loads, target.url, () => new BackendLoad());
  }

  monitor(target: UpstreamTarget, path: string, spec: HealthCheckSpec): HealthMonitor {
    const key = `${target.url}|${target.poolKey}|${path}|${JSON.stringify(spec)}`;
    return this.reuse(this.monitors, this.previous?.monitors, key, () => {
      const monitor = new HealthMonitor(target, path, spec, {
        probe: this.deps.probe,
        clock: this.deps.clock,
        random: this.deps.random,
        events: this.deps.events,
      });
      this.createdMonitors.push(monitor);
      return monitor;
    });
  }

  passive(routeKey: string, target: UpstreamTarget, spec: PassiveHealthSpec): PassiveHealth {
    const key = `${routeKey}|${target.url}|${JSON.stringify(spec)}`;
    return this.reuse(this.passives, this.previous?.passives, key, () => new PassiveHealth(spec));
  }

  breaker(routeKey: string, target: UpstreamTarget, spec: CircuitBreakerSpec): CircuitBreaker {
    const key = `${routeKey}|${target.url}|${JSON.stringify(spec)}`;
    return this.reuse(this.breakers, this.previous?.breakers, key, () => new CircuitBreaker(spec));
  }

  balancer(routeKey: string, strategy: BalanceStrategy, backends: readonly BalancedBackend[]): Balancer {
    const key = `${routeKey}|${strategy}|${JSON.stringify(backends)}`;
    return this.reuse(this.balancers, this.previous?.balancers, key, () =>
      createBalancer(strategy, backends, this.deps.random),
    );
  }

  /** Starts the monitors this generation created and resolves when each has a first result. */
  async startNewMonitors(): Promise<void> {
    for (const monitor of this.createdMonitors) monitor.start();
    await Promise.all(this.createdMonitors.map((monitor) => monitor.firstResult()));
  }

  private reuse<T>(into: Map<string, T>, from: ReadonlyMap<string, T> | undefined, key: string, create: () => T): T {
    let value = into.get(key) ?? from?.get(key);
    if (value === undefined) value = create();
    into.set(key, value);
    return value;
  }
}
