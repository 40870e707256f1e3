import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { ReloadResult } from '../../ports/metrics';
import { AcmeMetrics } from './acme-metrics';

/**
 * The supervisor's own series, and the merge of every worker's registry into one scrape.
 * Workers' series are summed unless the metric declares another aggregator (PrometheusMetrics
 * marks per-process views such as health status, info gauges and reload counts).
 */
export class SupervisorMetrics {
  private readonly registry = new Registry();
  /** With `tls.acme` the supervisor is the one process ordering certificates. */
  readonly acme = new AcmeMetrics(this.registry);
  private readonly reloads: Counter<'result'>;
  private readonly restarts: Counter;

  constructor(workers: number) {
    const registers = [this.registry];
    // Same name as the workers' counter: every worker counts each applied reload once, so the
    // merge takes the maximum; only the supervisor sees files rejected by validation.
    this.reloads = new Counter({
      name: 'prox_config_reloads_total',
      help: 'Config reloads by result (invalid: rejected by validation; failed: valid but could not be applied).',
      labelNames: ['result'],
      registers,
      aggregator: 'max',
    });
    for (const result of ['success', 'invalid', 'failed'] as const) this.reloads.inc({ result }, 0);
    new Gauge({ name: 'prox_workers', help: 'Worker processes configured (workers:).', registers, aggregator: 'max' }).set(workers);
    this.restarts = new Counter({ name: 'prox_worker_restarts_total', help: 'Workers started again after exiting unexpectedly.', registers, aggregator: 'max' });
  }

  configReloaded(result: ReloadResult): void {
    this.reloads.inc({ result });
  }

  workerRestarted(): void {
    this.restarts.inc();
  }

  /** One exposition for the whole proxy: the supervisor's series first (their aggregator rules). */
  async merged(workerMetrics: readonly unknown[][]): Promise<{ contentType: string; body: string }> {
    const own = await this.registry.getMetricsAsJSON();
    const merged = AggregatorRegistry.aggregate([own, ...workerMetrics]);
    return { contentType: merged.contentType, body: await merged.metrics() };
  }
}
