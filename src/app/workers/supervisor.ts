import type { ChildProcess } from 'node:child_process';
import { formatListenAddress } from '../../config/listen-address';
import type { ProxConfig } from '../../config/model';
import type { EngineSetting } from '../../core/model';
import type { BoundListener } from '../../ports/http-server';
import type { Logger, LogFields } from '../../ports/logger';
import type { AcmeCertificateManager } from '../../ports/managed-certificates';
import type { ApplyResult, ListenAddress, ProxRuntime } from '../lifecycle/prox-runtime';
import { freePort } from './free-port';
import { adminListenerNeedsToken, withBearerToken } from '../admin-endpoints';
import { supervisorAdminHandler, WorkerFleet } from './supervisor-admin';
import { withConfigPreview } from '../config-preview';
import type { ConfigSource } from '../lifecycle/config-source';
import type { SharedTlsPort, SupervisorParts } from './supervisor-parts';
import { resolveWorkerCount } from './worker-count';
import { WorkerHandle } from './worker-handle';

const FIRST_RESTART_DELAY_MS = 100;
const MAX_RESTART_DELAY_MS = 10_000;
/** A worker that ran this long before exiting was healthy: its replacement starts without delay growth. */
const STABLE_AFTER_MS = 10_000;
/** Beyond the workers' own drain time: how long they get to close up before being killed. */
const EXIT_GRACE_MS = 5_000;

/**
 * `workers: N > 1`: N worker processes share the public port; this process runs no public
 * listener itself. It owns what must exist once per proxy: the admin listener, restarting a
 * worker that died, and (as the runtime under the lifecycle) applying a config validated once
 * here in every worker, and draining them all.
 */
export class Supervisor implements ProxRuntime, WorkerFleet {
  readonly slots: (WorkerHandle | null)[];
  private readonly restartDelays: number[];
  private readonly restartTimers = new Set<NodeJS.Timeout>();
  private config: ProxConfig | null = null;
  /** The concrete public port all workers share when the config says port 0. */
  private port: number | null = null;
  /** The TLS port handed to every worker, where they cannot each bind it (Node < 22.12). */
  private sharedTls: SharedTlsPort | null = null;
  private nextForwarded = 0;
  private admin: BoundListener | null = null;
  private started = false;
  private restartCount = 0;
  private stopRequested = false;
  /** `tls.acme`: ordered here, served by the workers (settings changes apply after a restart). */
  private acme: AcmeCertificateManager | null = null;
  /** Every worker, restarted ones included, runs the engine prox started with. */
  private startEngine: EngineSetting = 'auto';
  private configSource: ConfigSource | null = null;

  constructor(
    private readonly configFile: string,
    private readonly workers: number,
    private readonly parts: SupervisorParts,
  ) {
    this.slots = new Array<WorkerHandle | null>(workers).fill(null);
    this.restartDelays = new Array<number>(workers).fill(FIRST_RESTART_DELAY_MS);
  }

  private get logger(): Logger {
    return this.parts.logger;
  }

  /** Workers started again after exiting unexpectedly. */
  get restarts(): number {
    return this.restartCount;
  }

  get stopping(): boolean {
    return this.stopRequested;
  }

  get address(): ListenAddress {
    if (!this.started) throw new Error('prox is not listening');
    const { host, port } = this.config!.listenAddr;
    return { host, port: this.port ?? port };
  }

  get adminAddress(): ListenAddress | null {
    return this.admin;
  }

  /** The config file, as the lifecycle reads it (the admin's reload dry run reads it the same way). */
  useConfigSource(source: ConfigSource): void {
    this.configSource = source;
  }

  async start(config: ProxConfig): Promise<void> {
    this.config = config;
    this.startEngine = config.engine;
    if (config.admin.enabled) {
      const { host, port } = config.admin.listenAddr;
      const handler = withConfigPreview(supervisorAdminHandler(this, this.parts.metrics), {
        running: () => this.config,
        source: () => this.configSource,
        trustPredicate: this.parts.trustPredicate,
        nowMs: () => Date.now(),
      });
      this.admin = await this.parts.adminServer.listen(host, port, adminListenerNeedsToken(config.admin) ? withBearerToken(handler, config.admin.token!) : handler);
      this.logger.info('admin listening', { address: formatListenAddress(this.admin) });
    }
    this.logger.info('starting workers', { workers: this.workers, pid: process.pid });
    const acmeSettings = config.tls?.acme ?? null;
    if (acmeSettings !== null) {
      this.acme = this.parts.acmeManagers(acmeSettings, { stateChanged: () => this.handAcmeStateToWorkers() });
      // A stored certificate is read before the workers start: each gets it with its first message.
      this.acme.load();
    }
    try {
      const { host, port } = config.listenAddr;
      if (port === 0) this.port = await freePort(host);
      else await this.parts.assertPortFree(host, port).catch((error: Error) => Promise.reject(new Error(`cannot listen on ${formatListenAddress({ host, port })}: ${error.message}`)));
      const open = this.parts.openSharedTlsListener;
      if (config.tls && open !== null) {
        const tlsPort = this.port ?? port;
        this.sharedTls = await open(host, tlsPort, () => this.nextWorkerProcess()).catch((error: Error) =>
          Promise.reject(new Error(`cannot listen on ${formatListenAddress({ host, port: tlsPort })}: ${error.message}`)),
        );
      }
      const workers = this.slots.map((_, index) => this.spawn(index + 1));
      await Promise.all(workers.map((worker) => worker.listening));
    } catch (error) {
      this.stopRequested = true;
      await this.stopWorkers(EXIT_GRACE_MS);
      await this.admin?.stopAccepting();
      throw error;
    }
    this.started = true;
    // Workers listen: challenges can be answered now; an order, when needed, runs in the background.
    this.acme?.start();
    const address = formatListenAddress(this.address);
    this.logger.info('workers ready', { workers: this.workers, address, pids: this.slots.map((worker) => worker?.pid) });
  }

  /** Every worker reloads the file (validated here already) and applies it. */
  async apply(next: ProxConfig, { file, trigger }: { file: string; trigger: string }): Promise<ApplyResult> {
    if (JSON.stringify(next.tls?.acme ?? null) !== JSON.stringify(this.config!.tls?.acme ?? null)) {
      this.logger.warn('changes to tls.acme (turning it on or off included) apply after a restart', {});
    }
    if (resolveWorkerCount(next.workers) !== this.workers) {
      this.logger.warn('a changed workers count applies after a restart', { running: this.workers });
    }
    // Port 0 again keeps the port every worker already shares; a fixed port replaces it.
    this.port = next.listenAddr.port === 0 ? (this.port ?? this.config!.listenAddr.port) : null;
    const port = this.port;
    const replies = await Promise.all(this.liveWorkers().map((worker) => worker.ask({ type: 'reload', trigger, port })));
    const applied = replies.filter((reply) => reply?.applied === true).length;
    this.config = next;
    if (applied === replies.length) {
      this.logger.info('workers reloaded', { file, trigger, workers: applied });
      return { applied: true };
    }
    const reasons = [...new Set(replies.map((reply) => reply?.reason ?? 'no answer').filter((reason) => reason !== null))];
    this.logger.error('config reload failed on some workers', { file, trigger, applied, failed: replies.length - applied, reasons });
    return { applied: false, reason: reasons.join('; ') };
  }

  rejected(): void {
    this.parts.metrics.configReloaded('invalid');
  }

  activity(): LogFields {
    return { workers: this.liveWorkers().length };
  }

  async drain(timeoutMs: number): Promise<boolean> {
    this.stopRequested = true;
    for (const timer of this.restartTimers) clearTimeout(timer);
    this.acme?.stop();
    this.sharedTls?.close();
    const clean = await this.stopWorkers(timeoutMs + EXIT_GRACE_MS);
    await this.admin?.stopAccepting();
    return clean;
  }

  abort(): void {
    this.stopRequested = true;
    for (const worker of this.slots) worker?.signal('SIGKILL');
  }

  liveWorkers(): WorkerHandle[] {
    return this.slots.filter((worker): worker is WorkerHandle => worker !== null && worker.alive && worker.port !== null);
  }

  /** A live worker for a connection the supervisor's copy of the TLS socket accepted (round robin). */
  private nextWorkerProcess(): ChildProcess | null {
    const live = this.liveWorkers();
    if (live.length === 0) return null;
    this.nextForwarded = (this.nextForwarded + 1) % live.length;
    return live[this.nextForwarded]!.child;
  }

  private spawn(id: number): WorkerHandle {
    const worker = new WorkerHandle(this.parts.workerScript, {
      id,
      configFile: this.configFile,
      port: this.port,
      adminAddress: this.admin === null ? null : { host: this.admin.host, port: this.admin.port },
      sharedTlsListener: this.sharedTls !== null,
      engine: this.startEngine,
    });
    this.sharedTls?.handTo(worker.child);
    // A new or restarted worker gets the current certificate (and any pending challenge) at once.
    if (this.acme !== null) void worker.ask({ type: 'acme', snapshot: this.acme.snapshot() });
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
      this.parts.metrics.workerRestarted();
      this.restartCount++;
      // A replacement that fails exits too; its own exit schedules the next attempt.
      void replacement.listening.then(
        () => this.logger.info('worker restarted', { worker: replacement.id, pid: replacement.pid }),
        () => undefined,
      );
    }, delay);
    this.restartTimers.add(timer);
  }

  /**
   * Hands the ACME state to every running worker and resolves once each acknowledged it (or
   * exited, or did not answer in time: logged). The manager awaits this before the CA validates.
   */
  private async handAcmeStateToWorkers(): Promise<void> {
    const acme = this.acme;
    if (acme === null) return;
    const snapshot = acme.snapshot();
    const workers = this.slots.filter((worker): worker is WorkerHandle => worker !== null && worker.alive);
    const replies = await Promise.all(workers.map((worker) => worker.ask({ type: 'acme', snapshot })));
    const missing = workers.filter((_, index) => replies[index] === null).map((worker) => worker.id);
    if (missing.length > 0) this.logger.warn('acme state not acknowledged by some workers', { workers: missing });
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
}
