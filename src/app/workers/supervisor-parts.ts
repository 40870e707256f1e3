import type { ChildProcess } from 'node:child_process';
import type { AdminServer } from '../../ports/admin-server';
import type { Logger } from '../../ports/logger';
import type { AcmeManagerFactory } from '../../ports/managed-certificates';
import type { ReloadResult } from '../../ports/metrics';
import type { TrustPredicateFactory } from '../tools/offline-compile';

/** The supervisor's own series, and the merge of every worker's registry into one scrape. */
export interface FleetMetrics {
  configReloaded(result: ReloadResult): void;
  workerRestarted(): void;
  merged(workerMetrics: readonly unknown[][]): Promise<{ contentType: string; body: string }>;
}

/** What the supervisor is built from; adapters come from src/composition. */
export interface SupervisorParts {
  readonly logger: Logger;
  readonly adminServer: AdminServer;
  readonly metrics: FleetMetrics;
  /** Fails when something listens on `host:port` already (see adapters/hyper-express/port-in-use). */
  readonly assertPortFree: (host: string, port: number) => Promise<void>;
  /** The trust test for `trusted_proxies`, as the workers build it: the admin's config diff explains requests with it. */
  readonly trustPredicate: TrustPredicateFactory;
  /** The worker process's entry script. */
  readonly workerScript: string;
  /** `tls.acme`: the manager that orders in the supervisor (its hooks hand state to the workers). */
  readonly acmeManagers: AcmeManagerFactory;
  /**
   * Binds a TLS port once and hands it to workers, where they cannot each bind it themselves
   * (no SO_REUSEPORT for net servers before Node 22.12); null where they can.
   */
  readonly openSharedTlsListener: ((host: string, port: number, pickWorker: () => ChildProcess | null) => Promise<SharedTlsPort>) | null;
}

/** A listening TLS socket the supervisor shares with its workers. */
export interface SharedTlsPort {
  handTo(child: ChildProcess): void;
  close(): void;
}
