import type { AccessLogConfig } from '../core/model';
import type { RequestObserver } from './request-observer';

export type BackendStateTarget = 'healthy' | 'unhealthy' | 'ejected' | 'breaker_open' | 'breaker_closed';
export type BackendStateReason = 'active_check' | 'passive_ejection' | 'circuit_breaker';
export type ReloadResult = 'success' | 'invalid' | 'failed';

/** Live state read at scrape time, so gauges never go stale between events. */
export interface MetricsStateSource {
  inFlightRequests(): number;
  /** Client connections to the public listener; null where it cannot be known. */
  activeConnections(): number | null;
  backends(): Iterable<{ route: string; backend: string; healthy: boolean; breaker: 'closed' | 'open' | 'half_open' | null }>;
  /** Access-log lines lost since start (see AccessLogSink.droppedLines). */
  accessLogDroppedLines(): number;
}

/** Metrics beyond per-request observation: lifecycle, backend state, exposition. */
export interface ProxMetrics extends RequestObserver {
  setStateSource(source: MetricsStateSource): void;
  configApplied(hash: string, routes: readonly string[]): void;
  configReloaded(result: ReloadResult): void;
  backendTransition(route: string, backend: string, to: BackendStateTarget, reason: BackendStateReason): void;
  exposition(): Promise<string>;
  readonly contentType: string;
}

export const ProxMetrics = Symbol.for('prox.ProxMetrics');

/** The access log, reconfigured on reload. */
export interface AccessLogSink extends RequestObserver {
  configure(config: AccessLogConfig): void;
  /** Lines lost since start: the write buffer was full (stalled disk) or the destination failed. */
  droppedLines(): number;
  /** Writes out what waits; resolves when it is written (or given up on). */
  close(): Promise<void>;
}

export const AccessLogSink = Symbol.for('prox.AccessLogSink');
