import { formatListenAddress } from '../../config/listen-address';
import { loadConfigFile } from '../../config/loader';
import type { ProxConfig } from '../../config/model';
import { NodeAdminServer } from '../../adapters/admin/node-admin-server';
import { ConfigFileWatcher } from '../../adapters/fs/config-file-watcher';
import { SupervisorMetrics } from '../../adapters/prometheus/supervisor-metrics';
import type { AdminHandler, AdminResponse } from '../../ports/admin-server';
import type { BoundListener } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import { diagnosticFields } from '../serve-command';
import { assertPortFree } from '../../adapters/hyper-express/port-in-use';
import { freePort } from './free-port';
import { SharedTlsListener } from './shared-tls-listener';
import { supportsReusePort } from '../../adapters/http-common/reuse-port';
import { SerializedReloads } from '../serialized-reloads';
import { WorkerHandle } from './worker-handle';
import { resolveWorkerCount } from './worker-count';

export interface SupervisorOptions {
  readonly configFile: string;
  readonly config: ProxConfig;
  readonly workers: number;
  readonly watch: boolean;
  readonly logger: Logger;
}

/** Editors write a file in several steps; wait this long after the last event. */
const WATCH_DEBOUNCE_MS = 150;
const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that ran this long before exiting was healthy: its replacement starts without delay growth. */
const STABLE_AFTER_MS = 10_000;
/** Beyond the workers' own drain time: how long they get to close up before being killed. */
const EXIT_GRACE_MS = 5_000;

/** `prox serve` with `workers: N > 1`: supervises N worker processes sharing the public port. */
export function runSupervisor(options: SupervisorOptions): Promise<number> {
  return new Supervisor(options).run();
}

/**
 * Runs no public listener itself. It owns what must exist once per proxy: the admin listener
 * (metrics merged from every worker), the config file watch and SIGHUP (a file is validated
 * once here, then every worker applies it), SIGTERM/SIGINT (every worker drains), and restarting
 * a worker that died.
 */
class Supervisor {
  private readonly slots: (WorkerHandle | null)[];
  private readonly restartDelays: number[];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private readonly metrics: SupervisorMetrics;
  private config: ProxConfig;
  /** The concrete public port all workers share when the config says port 0. */
  private port: number | null = null;
  /** The TLS port handed to every worker, where they cannot each bind it (Node < 22.12). */
  private sharedTls: SharedTlsListener | null = null;
  private nextForwarded = 0;
  private admin: BoundListener | null = null;
  private started = false;
  private restarts = 0;
  private stopping = false;
  private readonly reloads = new SerializedReloads((trigger) => (this.stopping ? Promise.resolve() : this.reload(trigger)), false);

  constructor(private readonly options: SupervisorOptions) {
    this.config = options.config;
    this.slots = new Array<WorkerHandle | null>(options.workers).fill(null);
    this.restartDelays = new Array<number>(options.workers).fill(FIRST_RESTART_DELAY_MS);
    this.metrics = new SupervisorMetrics(options.workers);
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  async run(): Promise<number> {
    // Signals are taken from the start: a SIGTERM sent as soon as "workers ready" is read must
    // not meet the default action (instant death, workers orphaned to drain on their own).
    const signalled = this.takeSignals();
    if (this.config.admin.enabled) {
      const { host, port } = this.config.admin.listenAddr;
      try {
        this.admin = await new NodeAdminServer().listen(host, port, this.adminHandler);
      } catch (error) {
        this.logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
        this.releaseSignals();
        return 1;
      }
      this.logger.info('admin listening', { address: formatListenAddress(this.admin) });
    }
    this.logger.info('starting workers', { workers: this.options.workers, pid: process.pid });
    try {
      const { host, port } = this.config.listenAddr;
      if (port === 0) this.port = await freePort(host);
      else await assertPortFree(host, port).catch((error: Error) => Promise.reject(new Error(`cannot listen on ${formatListenAddress({ host, port })}: ${error.message}`)));
      if (this.config.tls && !supportsReusePort()) {
        this.sharedTls = await SharedTlsListener.open(host, this.port ?? port, () => this.nextWorkerProcess()).catch((error: Error) =>
          Promise.reject(new Error(`cannot listen on ${formatListenAddress({ host, port: this.port ?? port })}: ${error.message}`)),
        );
      }
      const workers = this.slots.map((_, index) => this.spawn(index + 1));
      await Promise.all(workers.map((worker) => worker.listening));
    } catch (error) {
      this.logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
      this.stopping = true;
      await this.stopWorkers(EXIT_GRACE_MS);
      await this.admin?.stopAccepting();
      this.releaseSignals();
      return 1;
    }
    this.started = true;
    if (this.stopping) return this.shutdown(await signalled);
    const watcher = this.options.watch
      ? new ConfigFileWatcher(this.options.configFile, WATCH_DEBOUNCE_MS, () => this.requestReload('file changed'), (error) =>
          this.logger.warn('config file watch failed; SIGHUP still reloads', { error: error.message }),
        )
      : null;
    watcher?.start();
    process.on('SIGHUP', () => this.requestReload('SIGHUP'));
    const address = formatListenAddress({ host: this.config.listenAddr.host, port: this.slots[0]!.port! });
    this.logger.info('workers ready', { workers: this.options.workers, address, pids: this.slots.map((worker) => worker?.pid) });
    const signal = await signalled;
    watcher?.close();
    return this.shutdown(signal);
  }

  /** Resolves with the first SIGTERM/SIGINT; a second one kills the workers and exits 1 ("now"). */
  private takeSignals(): Promise<string> {
    return new Promise((resolve) => {
      const first = (signal: string): void => {
        this.releaseSignals();
        this.stopping = true;
        const now = (): void => {
          for (const worker of this.slots) worker?.signal('SIGKILL');
          process.exit(1);
        };
        process.once('SIGTERM', now);
        process.once('SIGINT', now);
        resolve(signal);
      };
      process.once('SIGTERM', () => first('SIGTERM'));
      process.once('SIGINT', () => first('SIGINT'));
    });
  }

  private releaseSignals(): void {
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGHUP');
  }

  /** A live worker for a connection the supervisor's copy of the TLS socket accepted (round robin). */
  private nextWorkerProcess(): import('node:child_process').ChildProcess | null {
    const live = this.liveWorkers();
    if (live.length === 0) return null;
    this.nextForwarded = (this.nextForwarded + 1) % live.length;
    return live[this.nextForwarded]!.child;
  }

  private spawn(id: number): WorkerHandle {
    const worker = new WorkerHandle({
      id,
      configFile: this.options.configFile,
      port: this.port,
      adminAddress: this.admin === null ? null : { host: this.admin.host, port: this.admin.port },
      sharedTlsListener: this.sharedTls !== null,
    });
    this.sharedTls?.handTo(worker.child);
    this.slots[id - 1] = worker;
    void worker.exited.then(({ code, signal }) => this.workerExited(worker, code, signal));
    return worker;
  }

  private workerExited(worker: WorkerHandle, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stopping || !this.started || this.slots[worker.id - 1] !== worker) return;
    const index = worker.id - 1;
    if (Date.now() - worker.startedAt >= STABLE_AFTER_MS) this.restartDelays[index] = FIRST_RESTART_DELAY_MS;
    const delay = this.restartDelays[index];
    this.restartDelays[index] = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
    this.logger.error('worker exited; restarting it', { worker: worker.id, pid: worker.pid, code, signal, restartInMs: delay });
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (this.stopping) return;
      const replacement = this.spawn(worker.id);
      this.metrics.workerRestarted();
      this.restarts++;
      // A replacement that fails exits too; its own exit schedules the next attempt.
      void replacement.listening.then(
        () => this.logger.info('worker restarted', { worker: replacement.id, pid: replacement.pid }),
        () => undefined,
      );
    }, delay);
    this.restartTimers.add(timer);
  }

  private requestReload(trigger: string): void {
    this.reloads.request(trigger);
  }

  private async reload(trigger: string): Promise<void> {
    const file = this.options.configFile;
    const loaded = await loadConfigFile(file);
    if (!loaded.ok) {
      for (const error of loaded.errors) this.logger.error('config reload rejected', diagnosticFields(error));
      this.logger.error('config reload rejected; the running config stays', { file, trigger, errors: loaded.errors.length });
      this.metrics.configReloaded('invalid');
      return;
    }
    for (const warning of loaded.warnings) this.logger.warn('config warning', diagnosticFields(warning));
    const next = loaded.config;
    if (resolveWorkerCount(next.workers) !== this.options.workers) {
      this.logger.warn('a changed workers count applies after a restart', { running: this.options.workers });
    }
    // Port 0 again keeps the port every worker already shares; a fixed port replaces it.
    this.port = next.listenAddr.port === 0 ? (this.port ?? this.config.listenAddr.port) : null;
    const port = this.port;
    const replies = await Promise.all(this.liveWorkers().map((worker) => worker.ask({ type: 'reload', trigger, port })));
    const applied = replies.filter((reply) => reply?.applied === true).length;
    this.config = next;
    if (applied === replies.length) {
      this.logger.info('workers reloaded', { file, trigger, workers: applied });
    } else {
      const reasons = [...new Set(replies.map((reply) => reply?.reason ?? 'no answer').filter((reason) => reason !== null))];
      this.logger.error('config reload failed on some workers', { file, trigger, applied, failed: replies.length - applied, reasons });
    }
  }

  private async shutdown(signal: string): Promise<number> {
    this.stopping = true;
    this.reloads.dropPending();
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.logger.info('shutting down', { signal, workers: this.liveWorkers().length });
    this.sharedTls?.close();
    const clean = await this.stopWorkers(this.config.shutdownTimeoutSecs * 1000 + EXIT_GRACE_MS);
    await this.admin?.stopAccepting();
    this.logger.info('stopped', { drained: clean });
    return 0;
  }

  /** SIGTERM to every worker (each drains), SIGKILL to any still there after `graceMs`. */
  private async stopWorkers(graceMs: number): Promise<boolean> {
    const workers = this.slots.filter((worker): worker is WorkerHandle => worker !== null && worker.alive);
    for (const worker of workers) worker.signal('SIGTERM');
    const exits = Promise.all(workers.map((worker) => worker.exited));
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([exits.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    if (!inTime) {
      this.logger.warn('workers still running after the shutdown timeout; killing them', {});
      for (const worker of workers) worker.signal('SIGKILL');
      await exits;
      return false;
    }
    const codes = await exits;
    return codes.every(({ code }) => code === 0);
  }

  private liveWorkers(): WorkerHandle[] {
    return this.slots.filter((worker): worker is WorkerHandle => worker !== null && worker.alive && worker.port !== null);
  }

  private readonly adminHandler: AdminHandler = async (method, path) => {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'method_not_allowed', allowed: ['GET', 'HEAD'] });
    switch (path) {
      case '/metrics': {
        const replies = await Promise.all(this.liveWorkers().map((worker) => worker.ask({ type: 'metrics' })));
        const merged = await this.metrics.merged(replies.flatMap((reply) => (reply === null ? [] : [reply.metrics])));
        return { status: 200, contentType: merged.contentType, body: merged.body };
      }
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz':
        return this.readiness();
      case '/workers':
        return this.workersView();
      case '/': {
        const endpoints = ['/metrics', '/healthz', '/readyz', '/routes', '/backends', '/config', '/workers'];
        return json(200, { endpoints });
      }
      default: {
        // Views of routes, backends and config: every worker runs the same config; one answers.
        const worker = this.liveWorkers()[0];
        const reply = worker === undefined ? null : await worker.ask({ type: 'admin', method, path });
        return reply === null ? json(503, { error: 'no_worker_available' }) : reply.answer;
      }
    }
  };

  /** Each worker with its pid and how many requests it answered: is the kernel spreading load? */
  private async workersView(): Promise<AdminResponse> {
    const workers = await Promise.all(
      this.slots.map(async (worker, index) => {
        const reply = worker === null || worker.port === null ? null : await worker.ask({ type: 'metrics' });
        return {
          worker: index + 1,
          pid: worker?.pid ?? null,
          running: reply !== null,
          started_at: worker === null ? null : new Date(worker.startedAt).toISOString(),
          requests: reply === null ? null : total(reply.metrics, 'prox_requests_total'),
        };
      }),
    );
    return json(200, { workers, restarts: this.restarts });
  }

  /** Ready when every worker is running and ready. */
  private async readiness(): Promise<AdminResponse> {
    const problems: string[] = [];
    if (this.stopping) problems.push('shutting down');
    const workers = await Promise.all(
      this.slots.map(async (worker, index) => {
        const id = index + 1;
        const reply = worker === null || worker.port === null ? null : await worker.ask({ type: 'admin', method: 'GET', path: '/readyz' });
        if (reply === null) {
          problems.push(`worker ${id}: not running`);
          return { worker: id, pid: worker?.pid ?? null, ready: false };
        }
        const answer = JSON.parse(reply.answer.body) as { ready: boolean; problems: string[] };
        for (const problem of answer.problems) problems.push(`worker ${id}: ${problem}`);
        return { worker: id, pid: worker!.pid ?? null, ready: answer.ready };
      }),
    );
    const ready = problems.length === 0;
    return json(ready ? 200 : 503, { ready, problems, workers });
  }
}

/** Sum of one counter's series in a worker's registry JSON. */
function total(metrics: readonly unknown[], name: string): number {
  const metric = (metrics as { name: string; values: { value: number }[] }[]).find((m) => m.name === name);
  return metric === undefined ? 0 : metric.values.reduce((sum, v) => sum + v.value, 0);
}

function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(value, null, 2) + '\n' };
}
