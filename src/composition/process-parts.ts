import type { ProxParts } from '../app/prox-parts';
import type { WorkerSettings } from '../app/workers/messages';
import type { WorkerParts } from '../app/workers/worker';
import { NodeAdminServer } from '../adapters/admin/node-admin-server';
import { ConfigFileWatcher } from '../adapters/fs/config-file-watcher';
import { assertPortFree } from '../adapters/hyper-express/port-in-use';
import { supportsReusePort } from '../adapters/http-common/reuse-port';
import { receiveSharedTlsListener, SharedTlsListener } from '../adapters/tls/shared-tls-listener';
import { IpcAdminServer } from '../adapters/ipc/ipc-admin-server';
import { PinoLogger } from '../adapters/logging/pino-logger';
import { PrometheusMetrics } from '../adapters/prometheus/prometheus-metrics';
import { SupervisorMetrics } from '../adapters/prometheus/supervisor-metrics';
import type { ProxServer } from '../app/prox-server';
import type { Logger } from '../ports/logger';
import { ProxMetrics } from '../ports/metrics';
import { buildContainer, createProxServer, ProxServerToken } from './container';
import { WorkerCertificates } from '../app/workers/worker-certificates';
import { processChannel } from '../app/workers/worker';
import { acmeClientManagerClass } from './on-demand-adapters';
import { SystemClock } from '../adapters/system/system-clock';
import { OffsetClock } from '../adapters/system/offset-clock';
import { MathRandomSource } from '../adapters/system/math-random-source';
import { trustPredicateFor } from '../adapters/system/proxy-addr-trust';
import { engineProblem, httpServerChoiceProblem, resolveEngine } from './http-server-choice';

/** Editors write a file in several steps; wait this long after the last event. */
const WATCH_DEBOUNCE_MS = 150;

/** The operational log: JSON lines on stdout. */
export function createLogger(bindings: Record<string, unknown> = {}): Logger {
  return new PinoLogger(process.stdout, bindings);
}

/** Everything `prox serve` and `startProx` build a prox from, wired to the real adapters. */
export function createProxParts(options: {
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  /** The worker process entry for `workers: N > 1`; null: run in this process only. */
  readonly workerScript: string | null;
}): ProxParts {
  const { env, logger, workerScript } = options;
  return {
    logger,
    environmentProblem: (engine) => httpServerChoiceProblem(env) ?? engineProblem(resolveEngine(engine, env)),
    createServer: (engine) => createProxServer({ logger, env, engine }),
    createSupervisorParts:
      workerScript === null
        ? null
        : (workers) => {
            const metrics = new SupervisorMetrics(workers);
            const clock = env.PROX_TEST_CLOCK === 'offset' ? new OffsetClock() : new SystemClock();
            return {
            logger,
            adminServer: new NodeAdminServer(),
            metrics,
            // The supervisor is the one process talking to the CA; workers serve what it hands them.
            acmeManagers: (acme, hooks) => new (acmeClientManagerClass())(acme, { clock, logger, random: new MathRandomSource(), observer: metrics.acme }, hooks),
            assertPortFree,
            trustPredicate: trustPredicateFor,
            workerScript,
            openSharedTlsListener: supportsReusePort() ? null : (host, port, pickWorker) => SharedTlsListener.open(host, port, pickWorker),
          };
          },
    watchConfigFile: (file) => (onChange, onError) => {
      const watcher = new ConfigFileWatcher(file, WATCH_DEBOUNCE_MS, onChange, onError);
      watcher.start();
      return watcher;
    },
  };
}

/**
 * One worker process's parts: its admin endpoints answered over IPC, the public port shared.
 * Where the supervisor hands over the TLS socket (settings.sharedTlsListener), it is received
 * first: the listener is taken before anything awaits, so the message sent at fork is not missed.
 */
export async function createWorkerParts(settings: WorkerSettings, env: NodeJS.ProcessEnv): Promise<WorkerParts> {
  const sharedTls = settings.sharedTlsListener === true ? receiveSharedTlsListener() : null;
  // Before any await too: the supervisor hands over the ACME certificate right after the fork.
  const certificates = new WorkerCertificates(processChannel);
  const logger = createLogger({ worker: settings.id });
  const admin = new IpcAdminServer(settings.adminAddress ?? { host: '127.0.0.1', port: 0 });
  const container = buildContainer({
    logger,
    adminServer: admin,
    env,
    engine: settings.engine,
    publicPortShared: true,
    sharedTlsListener: sharedTls === null ? undefined : await sharedTls.listener,
    adoptTlsConnection: sharedTls === null ? undefined : (adopt) => sharedTls.onConnection(adopt),
    acmeManagers: () => certificates,
  });
  const metrics = container.get<ProxMetrics>(ProxMetrics) as PrometheusMetrics;
  return {
    logger,
    server: container.get<ProxServer>(ProxServerToken),
    answerAdmin: (method, path, authorization) => admin.answer(method, path, authorization),
    metricsSnapshot: () => metrics.registry.getMetricsAsJSON(),
  };
}
