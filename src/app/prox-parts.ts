import type { ProxConfig } from '../config/model';
import type { Logger } from '../ports/logger';
import type { ConfigSource } from './lifecycle/config-source';
import type { ProcessControl } from './lifecycle/process-control';
import { SERVE_SIGNALS } from './lifecycle/process-control';
import { ProxLifecycle, WatchConfig } from './lifecycle/prox-lifecycle';
import { ServerRuntime } from './lifecycle/server-runtime';
import type { ProxServer } from './prox-server';
import { Supervisor } from './workers/supervisor';
import type { SupervisorParts } from './workers/supervisor-parts';
import { resolveWorkerCount } from './workers/worker-count';

/** What a prox is built from; src/composition makes them from the adapters. */
export interface ProxParts {
  readonly logger: Logger;
  /** Why the environment forbids starting (e.g. an unknown PROX_HTTP_SERVER), or null. */
  readonly environmentProblem: string | null;
  createServer(): ProxServer;
  createSupervisorParts(workers: number): SupervisorParts;
  /** Watches one config file (its directory, debounced). */
  watchConfigFile(file: string): WatchConfig;
}

export interface LaunchOptions {
  /** Signals and exit of the process; null when embedded. */
  readonly control: ProcessControl | null;
  readonly watch: boolean;
}

/**
 * The lifecycle for a validated config: one ProxServer here, or a supervisor of worker
 * processes for `workers: N > 1` (they read the config file themselves, so a source held only
 * in memory runs in this process).
 */
export function lifecycleFor(source: ConfigSource, config: ProxConfig, parts: ProxParts, options: LaunchOptions): ProxLifecycle {
  const workers = resolveWorkerCount(config.workers);
  if (workers > 1 && source.file === null) parts.logger.warn('workers: N needs a config file; running one server in this process', { workers });
  const runtime =
    workers > 1 && source.file !== null
      ? new Supervisor(source.file, workers, parts.createSupervisorParts(workers))
      : new ServerRuntime(parts.createServer(), parts.logger);
  return new ProxLifecycle({
    source,
    runtime,
    logger: parts.logger,
    process: options.control === null ? null : { control: options.control, signals: SERVE_SIGNALS },
    watch: options.watch && source.file !== null ? parts.watchConfigFile(source.file) : null,
    reportFindings: true,
  });
}
