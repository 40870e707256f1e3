import { loadConfigFile, resolveConfigPath } from '../config/loader';
import type { Diagnostic, ProxConfig } from '../config/model';
import { createProxServer } from '../composition/container';
import { httpServerChoiceProblem } from '../composition/http-server-choice';
import { ConfigFileWatcher } from '../adapters/fs/config-file-watcher';
import { PinoLogger } from '../adapters/logging/pino-logger';
import type { Logger } from '../ports/logger';
import type { ProxServer } from '../app/prox-server';
import { formatDiagnostic } from './validate-command';
import { SerializedReloads } from './serialized-reloads';
import { resolveWorkerCount } from './workers/worker-count';
import { runSupervisor } from './workers/supervisor';

export interface ServeOptions {
  readonly config?: string;
  /** Reload when the config file changes (default true). */
  readonly watch?: boolean;
}

/** Editors write a file in several steps; wait this long after the last event. */
const WATCH_DEBOUNCE_MS = 150;

export interface RunningProx {
  readonly server: ProxServer;
  readonly config: ProxConfig;
  readonly configFile: string;
}

/**
 * `prox serve`: load and validate the config, listen, and stay up until SIGTERM/SIGINT, which
 * drain in-flight requests (up to `shutdown_timeout_secs`) before exiting 0. SIGHUP reloads
 * the config file; an invalid file leaves the running config untouched.
 */
export async function runServe(options: ServeOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const logger = new PinoLogger();
  const configFile = resolveConfigPath(options.config, env);
  const loaded = await loadConfigFile(configFile);
  for (const warning of loaded.warnings) logger.warn('config warning', diagnosticFields(warning));
  if (!loaded.ok) {
    for (const error of loaded.errors) process.stderr.write(formatDiagnostic(error) + '\n');
    return loaded.unreadable ? 2 : 1;
  }
  const serverProblem = httpServerChoiceProblem(env);
  if (serverProblem !== null) {
    process.stderr.write(`prox: ${serverProblem}\n`);
    return 1;
  }
  keepRunningOnStrayErrors(logger);
  const workers = resolveWorkerCount(loaded.config.workers);
  if (workers > 1) return runSupervisor({ configFile, config: loaded.config, workers, watch: options.watch !== false, logger });
  const server = createProxServer({ logger, env });
  const reloader = new Reloader(server, configFile, loaded.config, logger);
  // Watching starts before the listener reports ready, so no change after that report is missed;
  // a change seen during startup is applied right after it.
  const watcher =
    options.watch === false
      ? null
      : new ConfigFileWatcher(configFile, WATCH_DEBOUNCE_MS, () => reloader.request('file changed'), (error) =>
          logger.warn('config file watch failed; SIGHUP still reloads', { error: error.message }),
        );
  watcher?.start();
  process.on('SIGHUP', () => reloader.request('SIGHUP'));
  // Signals are taken from before startup on: a SIGTERM right after "listening" must drain, not
  // kill the process with the default action.
  let started = false;
  let stopSignal: string | null = null;
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  const stop = (signal: string): void => {
    if (stopSignal !== null) return;
    stopSignal = signal;
    process.removeAllListeners('SIGTERM');
    process.removeAllListeners('SIGINT');
    process.removeAllListeners('SIGHUP');
    watcher?.close();
    // A second signal means "now".
    process.once('SIGTERM', () => process.exit(1));
    process.once('SIGINT', () => process.exit(1));
    if (started) drain();
  };
  const drain = (): void => {
    logger.info('shutting down', { signal: stopSignal, inFlight: server.inFlight });
    void server.shutdown(reloader.current.shutdownTimeoutSecs * 1000).then((drained) => {
      logger.info('stopped', { drained });
      finish(0);
    });
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  try {
    await server.start(loaded.config);
  } catch (error) {
    watcher?.close();
    logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
  started = true;
  if (stopSignal !== null) drain();
  else reloader.activate();
  return finished;
}

/**
 * Reloads one at a time; a request that arrives while one runs is folded into a single
 * follow-up, so a burst of changes ends with the newest file applied, never an older one.
 */
class Reloader {
  /** Until the server has started, requests only wait (as pending). */
  private readonly reloads = new SerializedReloads((trigger) => this.reload(trigger), true);

  constructor(
    private readonly server: ProxServer,
    private readonly file: string,
    public current: ProxConfig,
    private readonly logger: Logger,
  ) {}

  activate(): void {
    this.reloads.release();
  }

  request(trigger: string): void {
    this.reloads.request(trigger);
  }

  private async reload(trigger: string): Promise<void> {
    const loaded = await loadConfigFile(this.file);
    if (!loaded.ok) {
      for (const error of loaded.errors) this.logger.error('config reload rejected', diagnosticFields(error));
      this.logger.error('config reload rejected; the running config stays', { file: this.file, trigger, errors: loaded.errors.length });
      this.server.reloadRejected();
      return;
    }
    for (const warning of loaded.warnings) this.logger.warn('config warning', diagnosticFields(warning));
    const result = await this.server.replaceConfig(loaded.config);
    if (!result.applied) {
      this.logger.error('config reload failed; the running config stays', { file: this.file, trigger, reason: result.reason });
      return;
    }
    this.current = loaded.config;
    this.logger.info('config reloaded', { file: this.file, trigger, routes: loaded.config.routes.length, rebound: result.rebound });
  }
}

/**
 * A throw inside a µWebSockets callback would abort the process with every connection on it.
 * The adapters guard their callbacks; this is the last net, so one bad request never takes
 * the proxy down.
 */
export function keepRunningOnStrayErrors(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception (request isolated, process kept running)', { error: error.stack ?? String(error) });
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: String(reason) });
  });
}

export function diagnosticFields(d: Diagnostic): Record<string, unknown> {
  return { file: d.file, line: d.line, col: d.col, path: d.path, message: d.message, hint: d.hint };
}
