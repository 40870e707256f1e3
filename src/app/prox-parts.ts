import type { ProxConfig } from '../config/model';
import type { EngineSetting } from '../core/model';
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
  /** Why the environment forbids starting with this engine (an unknown PROX_HTTP_SERVER, µWebSockets without its binary), or null. */
  environmentProblem(engine: EngineSetting): string | null;
  createServer(engine: EngineSetting): ProxServer;
  /** For `workers: N > 1`; null where prox runs only in this process (the programmatic API). */
  readonly createSupervisorParts: ((workers: number) => SupervisorParts) | null;
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
 * processes for `workers: N > 1` (where worker processes may be started, and the config is a
 * file: they read it themselves).
 */
export function lifecycleFor(source: ConfigSource, config: ProxConfig, parts: ProxParts, options: LaunchOptions): ProxLifecycle {
  const workers = resolveWorkerCount(config.workers);
  const supervise = workers > 1 && source.file !== null ? parts.createSupervisorParts : null;
  if (workers > 1 && supervise === null) parts.logger.warn('workers: N applies to `prox serve --config <file>`; running one server in this process', { workers });
  const runtime =
    supervise !== null && source.file !== null
      ? new Supervisor(source.file, workers, supervise(workers))
      : new ServerRuntime(parts.createServer(config.engine), parts.logger);
  return new ProxLifecycle({
    source,
    runtime,
    logger: parts.logger,
    process: options.control === null ? null : { control: options.control, signals: SERVE_SIGNALS },
    watch: options.watch && source.file !== null ? parts.watchConfigFile(source.file) : null,
    reportFindings: true,
  });
}
