import { Counter, Gauge, type Registry } from 'prom-client';
import type { AcmeObserver } from '../../ports/managed-certificates';

const RESULTS = ['success', 'failure', 'locked'] as const;

/**
 * `prox_acme_*`: orders by result and the next planned order. Series appear with the first
 * report, so a prox without `tls.acme` (and every worker of `workers: N`, where the supervisor
 * orders) shows none. Merged scrapes take the maximum: one process orders.
 */
export class AcmeMetrics implements AcmeObserver {
  private readonly orders: Counter<'result'>;
  private readonly nextRenewal: Gauge<'domain'>;
  private started = false;

  constructor(registry: Registry) {
    const registers = [registry];
    this.orders = new Counter({
      name: 'prox_acme_orders_total',
      help: 'ACME orders by result: success, failure (the CA refused or was unreachable), locked (another process sharing storage_path was ordering).',
      labelNames: ['result'],
      registers,
      aggregator: 'max',
    });
    this.nextRenewal = new Gauge({
      name: 'prox_acme_next_renewal_timestamp_seconds',
      help: 'When the next ACME order of a certificate (by its first name) is planned: its renewal, or a retry after failures. Unix time.',
      labelNames: ['domain'],
      registers,
      aggregator: 'max',
    });
  }

  orderFinished(result: (typeof RESULTS)[number]): void {
    this.start();
    this.orders.inc({ result });
  }

  renewalPlanned(domain: string, atMs: number): void {
    this.start();
    this.nextRenewal.set({ domain }, Math.round(atMs / 1000));
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (const result of RESULTS) this.orders.inc({ result }, 0);
  }
}
