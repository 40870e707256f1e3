import type { BackendLoadView, Balancer } from '../balancing/balancer';
import type { BackendEvents } from './backend-events';
import type { PoolMember } from './pool-member';

/** What an attempt told us about its backend. */
export const enum AttemptOutcome {
  /** A response head arrived with a status below 500. */
  Success,
  /** A response head with a 5xx status. */
  ServerError,
  /** Connect error, reset, timeout or malformed response. */
  TransportFailure,
  /** Ended without evidence either way (client left, client body failed). */
  Neutral,
}

const MAX_RETRY_AFTER_SECS = 3600;

/**
 * A route's backends with their live state, and the choice of one for each attempt.
 *
 * Availability is computed once per pick into a reused buffer: healthy (active and passive)
 * and breaker not open. With `min_healthy_percent` set and too few healthy backends, health is
 * ignored (panic mode, as in Envoy) so the survivors are not overloaded; an open breaker is
 * still respected, since it protects a backend that is failing right now.
 */
export class RoutePool implements BackendLoadView {
  private readonly available: Uint8Array;

  constructor(
    readonly routeKey: string,
    readonly members: readonly PoolMember[],
    private readonly balancer: Balancer,
    private readonly minHealthyPercent: number,
    private readonly events: BackendEvents,
  ) {
    this.available = new Uint8Array(members.length);
  }

  isAvailable(index: number): boolean {
    return this.available[index] === 1;
  }

  /** Connections the backend is busy with: requests in flight and open WebSocket sessions (least_connections, power of two). */
  inFlight(index: number): number {
    const load = this.members[index].load;
    return load.inFlight + load.webSocketSessions;
  }

  /**
   * Index of the member for the next attempt, or -1 when none may take traffic. Members in
   * `tried` are avoided while another one is available (a retry goes to a different backend).
   */
  select(hashKey: string | null, nowMs: number, tried: readonly number[] | null): number {
    const members = this.members;
    const count = members.length;
    let healthy = 0;
    for (let i = 0; i < count; i++) {
      const member = members[i];
      const ok = member.breakerAllows(nowMs) && member.isHealthy(nowMs);
      this.available[i] = ok ? 1 : 0;
      if (ok) healthy++;
    }
    if (this.minHealthyPercent > 0 && healthy * 100 < this.minHealthyPercent * count) {
      healthy = 0;
      for (let i = 0; i < count; i++) {
        const ok = members[i].breakerAllows(nowMs);
        this.available[i] = ok ? 1 : 0;
        if (ok) healthy++;
      }
    }
    if (healthy === 0) return -1;
    if (tried !== null) this.avoid(tried);
    return this.balancer.pick(this, hashKey);
  }

  /** Marks the attempt started; returns whether it is a half-open breaker trial. */
  begin(index: number, nowMs: number): boolean {
    const member = this.members[index];
    member.load.inFlight++;
    return member.breaker !== null && member.breaker.beginRequest(nowMs);
  }

  /** Ends an attempt begun with `begin`: load, passive health and breaker learn its outcome. */
  finish(index: number, trial: boolean, outcome: AttemptOutcome, nowMs: number): void {
    const member = this.members[index];
    member.load.inFlight--;
    const breaker = member.breaker;
    const passive = member.passive;
    switch (outcome) {
      case AttemptOutcome.Success:
        passive?.recordSuccess(nowMs);
        if (breaker !== null && breaker.recordSuccess(trial) === 'closed') this.events.breakerChanged(this.routeKey, member.target, 'closed');
        return;
      case AttemptOutcome.ServerError:
      case AttemptOutcome.TransportFailure: {
        if (passive !== null) {
          const counts = outcome === AttemptOutcome.TransportFailure || passive.countsServerErrors;
          if (counts) {
            const ejectedMs = passive.recordFailure(nowMs, () => this.othersAvailable(index, nowMs));
            if (ejectedMs > 0) this.events.ejected(this.routeKey, member.target, ejectedMs);
          } else {
            passive.recordSuccess(nowMs);
          }
        }
        if (breaker !== null && breaker.recordFailure(nowMs, trial) === 'opened') this.events.breakerChanged(this.routeKey, member.target, 'open');
        return;
      }
      case AttemptOutcome.Neutral:
        breaker?.releaseRequest(trial);
        return;
    }
  }

  /** Whole seconds a client should wait before trying again when nothing is available. */
  retryAfterSecs(nowMs: number): number {
    let soonest = Infinity;
    for (const member of this.members) soonest = Math.min(soonest, member.msUntilPossiblyAvailable(nowMs));
    if (!Number.isFinite(soonest)) return 1;
    return Math.min(MAX_RETRY_AFTER_SECS, Math.max(1, Math.ceil(soonest / 1000)));
  }

  private avoid(tried: readonly number[]): void {
    let others = 0;
    for (let i = 0; i < this.available.length; i++) if (this.available[i] === 1 && !tried.includes(i)) others++;
    if (others === 0) return;
    for (const index of tried) this.available[index] = 0;
  }

  /** Passive ejection never takes a route's last available backend away. */
  private othersAvailable(except: number, nowMs: number): boolean {
    for (let i = 0; i < this.members.length; i++) {
      if (i !== except && this.members[i].isHealthy(nowMs) && this.members[i].breakerAllows(nowMs)) return true;
    }
    return false;
  }
}
