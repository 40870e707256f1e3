import type { HealthCheckSpec, StatusRange } from '../model';
import type { Clock, Timer } from '../../ports/clock';
import type { HealthProbe, ProbeResult } from '../../ports/health-probe';
import type { RandomSource } from '../../ports/random';
import type { UpstreamTarget } from '../forwarding/upstream-target';
import { ActiveHealthState } from './active-health-state';

/** Probe results kept per backend for the admin status page. */
const KEPT_RESULTS = 10;

export interface ProbeRecord {
  /** Wall-clock ms. */
  readonly at: number;
  readonly passed: boolean;
  readonly detail: string;
}

export interface HealthTransitionRecord {
  readonly at: number;
  readonly healthy: boolean;
  readonly reason: string;
}

/** Bytes of a probe's body searched for `expected_body`. */
const MAX_PROBED_BODY_BYTES = 64 * 1024;

export interface HealthMonitorEvents {
  healthChanged(target: UpstreamTarget, healthy: boolean, reason: string): void;
}

export interface HealthMonitorDependencies {
  readonly probe: HealthProbe;
  readonly clock: Clock;
  readonly random: RandomSource;
  readonly events: HealthMonitorEvents;
}

/**
 * Probes one backend on a schedule and keeps its up/down state.
 *
 * Each monitor runs its own loop, so backends are probed concurrently and a slow backend
 * delays only itself. The wait before each probe is shortened by up to `jitter` of the
 * interval so that monitors started together drift apart.
 */
export class HealthMonitor {
  private readonly state: ActiveHealthState;
  private timer: Timer | null = null;
  private stopped = false;
  private started = false;
  private firstResultWaiters: (() => void)[] = [];
  private lastReason = 'not probed yet';
  private readonly results: ProbeRecord[] = [];
  private transition: HealthTransitionRecord | null = null;

  constructor(
    readonly target: UpstreamTarget,
    /** Path on the backend, base path included. */
    readonly path: string,
    private readonly spec: HealthCheckSpec,
    private readonly deps: HealthMonitorDependencies,
  ) {
    this.state = new ActiveHealthState(spec.unhealthyThreshold, spec.healthyThreshold);
  }

  get healthy(): boolean {
    return this.state.healthy;
  }

  get reason(): string {
    return this.lastReason;
  }

  /** The last few probe results, oldest first. */
  get recentResults(): readonly ProbeRecord[] {
    return this.results;
  }

  get lastTransition(): HealthTransitionRecord | null {
    return this.transition;
  }

  get intervalMs(): number {
    return this.spec.intervalSecs * 1000;
  }

  /** Starts the loop with a probe now; idempotent. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    void this.probeOnce();
  }

  /** Resolves once the first probe has a result (or the monitor was stopped). */
  firstResult(): Promise<void> {
    if (this.state.hasResult || this.stopped) return Promise.resolve();
    return new Promise((resolve) => this.firstResultWaiters.push(resolve));
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
    this.wakeFirstResultWaiters();
  }

  private async probeOnce(): Promise<void> {
    const result = await this.probeWithDeadline();
    if (this.stopped) return;
    const failure = this.failureOf(result);
    const transition = this.state.record(failure === null);
    this.lastReason = failure ?? 'probe passed';
    const at = this.deps.clock.nowMs();
    this.results.push({ at, passed: failure === null, detail: this.lastReason });
    if (this.results.length > KEPT_RESULTS) this.results.shift();
    if (transition !== null) {
      this.transition = { at, healthy: transition === 'became_healthy', reason: this.lastReason };
      this.deps.events.healthChanged(this.target, transition === 'became_healthy', this.lastReason);
    }
    this.wakeFirstResultWaiters();
    const jitterMs = this.spec.jitter > 0 ? this.deps.random.nextInt(Math.floor(this.intervalMs * this.spec.jitter) + 1) : 0;
    this.timer = this.deps.clock.setTimer(this.intervalMs - jitterMs, () => void this.probeOnce());
  }

  /** The probe adapter enforces the timeout too; this makes it a guarantee of the domain. */
  private probeWithDeadline(): Promise<ProbeResult> {
    const timeoutMs = this.spec.timeoutSecs * 1000;
    return new Promise((resolve) => {
      let settled = false;
      const timer = this.deps.clock.setTimer(timeoutMs, () => {
        if (settled) return;
        settled = true;
        resolve({ kind: 'failed', detail: `no answer within ${timeoutMs} ms` });
      });
      void this.deps.probe
        .probe({
          origin: this.target.origin,
          tls: this.target.tls,
          path: this.path,
          method: this.spec.method,
          authority: this.target.authority,
          timeoutMs,
          maxBodyBytes: this.spec.expectedBody === null || this.spec.method === 'HEAD' ? 0 : MAX_PROBED_BODY_BYTES,
        })
        .then((result) => {
          if (settled) return;
          settled = true;
          timer.cancel();
          resolve(result);
        });
    });
  }

  /** Why the probe counts as failed, or null when it passed. */
  private failureOf(result: ProbeResult): string | null {
    if (result.kind === 'failed') return result.detail;
    if (result.kind === 'connected') return null;
    if (!statusMatches(result.status, this.spec.expectedStatus)) return `status ${result.status} not in expected_status`;
    if (this.spec.expectedBody !== null && this.spec.method !== 'HEAD' && !result.body.includes(this.spec.expectedBody)) {
      return 'body does not contain expected_body';
    }
    return null;
  }

  private wakeFirstResultWaiters(): void {
    const waiters = this.firstResultWaiters;
    this.firstResultWaiters = [];
    for (const wake of waiters) wake();
  }
}

export function statusMatches(status: number, ranges: readonly StatusRange[]): boolean {
  for (const range of ranges) if (status >= range.from && status <= range.to) return true;
  return false;
}
