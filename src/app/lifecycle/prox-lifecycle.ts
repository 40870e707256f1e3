import type { ProxConfig } from '../../config/model';
import type { Logger } from '../../ports/logger';
import { diagnosticFields } from './config-source';
import type { ConfigSource } from './config-source';
import type { ProcessControl, SignalRoles } from './process-control';
import type { ListenAddress, ProxRuntime } from './prox-runtime';
import type { ReloadOutcome } from './reload-outcome';
import { ReloadQueue } from './reload-queue';

/** A running watch of the config file. */
export interface ConfigWatch {
  close(): void;
}

/** Starts watching; `onChange` once per burst of changes. */
export type WatchConfig = (onChange: () => void, onError: (error: Error) => void) => ConfigWatch;

export interface LifecycleOptions {
  readonly source: ConfigSource;
  readonly runtime: ProxRuntime;
  readonly logger: Logger;
  /** Signals and exit of the process; null when embedded (the application owns its process). */
  readonly process: { readonly control: ProcessControl; readonly signals: SignalRoles } | null;
  /** Reload when the config changes; null: only on request (SIGHUP, IPC, `reload()`). */
  readonly watch: WatchConfig | null;
  /** Log a reloaded file's errors and warnings (false in workers: the supervisor reported them). */
  readonly reportFindings: boolean;
}

/**
 * One prox from start to stop, the same for a single process, the supervisor, a worker and the
 * programmatic API: reloads run one at a time and coalesce (file watch, SIGHUP, IPC or API
 * call); stop signals are taken from before startup (a stop during startup drains once
 * started; one more means "now"); stopping drains for up to `shutdown_timeout_secs`.
 */
export class ProxLifecycle {
  /** Until the runtime has started, reload requests only wait. */
  private readonly reloads = new ReloadQueue((trigger) => this.reloadNow(trigger), true);
  private readonly releases: (() => void)[] = [];
  private watch: ConfigWatch | null = null;
  private current: ProxConfig | null = null;
  private started = false;
  private stopReason: string | null = null;
  private finish: (drained: boolean) => void = () => undefined;
  /** Resolves once stopped (drained or not), after a stop signal or `stop`. */
  readonly stopped = new Promise<boolean>((resolve) => (this.finish = resolve));

  constructor(private readonly options: LifecycleOptions) {
    options.runtime.useConfigSource(options.source);
  }

  private get logger(): Logger {
    return this.options.logger;
  }

  /** The public listener, once started (it follows a reload that changed `listen_addr`). */
  get address(): ListenAddress {
    return this.options.runtime.address;
  }

  get adminAddress(): ListenAddress | null {
    return this.options.runtime.adminAddress;
  }

  /**
   * Takes the signals and the watch first, so nothing sent during startup meets a default
   * action or is missed (a change seen during startup is applied right after it); then starts
   * the runtime. Rejects, after logging why, when it cannot start.
   */
  async start(config: ProxConfig): Promise<void> {
    this.current = config;
    this.takeSignals();
    this.watch = this.options.watch?.(
      () => void this.reload('file changed'),
      (error) => this.logger.warn('config file watch failed; SIGHUP still reloads', { error: error.message }),
    ) ?? null;
    try {
      await this.options.runtime.start(config);
    } catch (error) {
      this.logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
      this.reloads.close();
      this.watch?.close();
      this.release();
      this.finish(false);
      throw error;
    }
    this.started = true;
    if (this.stopReason !== null) void this.drain();
    else this.reloads.release();
  }

  /** Reloads the config source; folded with any reload already waiting. */
  reload(trigger: string): Promise<ReloadOutcome> {
    return this.reloads.request(trigger);
  }

  /** Drains once; a stop during startup drains when startup is done. Resolves with whether everything finished. */
  stop(reason: string): Promise<boolean> {
    if (this.stopReason === null) {
      this.stopReason = reason;
      this.reloads.close();
      this.watch?.close();
      if (this.started) void this.drain();
    }
    return this.stopped;
  }

  private takeSignals(): void {
    const proc = this.options.process;
    if (proc === null) return;
    const { control, signals } = proc;
    for (const signal of signals.stop) {
      this.releases.push(control.onSignal(signal, () => this.stopSignal(signal)));
    }
    for (const signal of signals.reload) this.releases.push(control.onSignal(signal, () => void this.reload(signal)));
    for (const signal of signals.ignore) this.releases.push(control.onSignal(signal, () => undefined));
  }

  private stopSignal(signal: string): void {
    if (this.stopReason === null) {
      void this.stop(signal);
      return;
    }
    // One more stop signal while stopping means "now".
    this.options.runtime.abort();
    this.options.process?.control.exitNow();
  }

  private release(): void {
    for (const release of this.releases.splice(0)) release();
  }

  private async drain(): Promise<void> {
    const runtime = this.options.runtime;
    this.logger.info('shutting down', { signal: this.stopReason, ...runtime.activity() });
    const drained = await runtime.drain(this.current!.shutdownTimeoutSecs * 1000);
    this.logger.info('stopped', { drained });
    this.release();
    this.finish(drained);
  }

  /** Never rejects: whatever goes wrong is an outcome, and the running config stays. */
  private async reloadNow(trigger: string): Promise<ReloadOutcome> {
    const file = this.options.source.name;
    try {
      return await this.loadAndApply(file, trigger);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error('config reload failed; the running config stays', { file, trigger, reason });
      return { status: 'failed', errors: [], warnings: [], reason };
    }
  }

  private async loadAndApply(file: string, trigger: string): Promise<ReloadOutcome> {
    const { source, runtime, reportFindings } = this.options;
    const loaded = await source.load();
    if (!loaded.ok) {
      if (reportFindings) {
        for (const error of loaded.errors) this.logger.error('config reload rejected', diagnosticFields(error));
        this.logger.error('config reload rejected; the running config stays', { file, trigger, errors: loaded.errors.length });
      }
      runtime.rejected();
      return { status: 'invalid', errors: loaded.errors, warnings: loaded.warnings, reason: null };
    }
    if (reportFindings) for (const warning of loaded.warnings) this.logger.warn('config warning', diagnosticFields(warning));
    const result = await runtime.apply(loaded.config, { file, trigger });
    if (!result.applied) return { status: 'failed', errors: [], warnings: loaded.warnings, reason: result.reason };
    this.current = loaded.config;
    return { status: 'applied', errors: [], warnings: loaded.warnings, reason: null };
  }
}
