import { loadConfigFile, resolveConfigPath } from '../config/loader';
import type { Diagnostic, ProxConfig } from '../config/model';
import { createProxServer } from '../composition/container';
import { PinoLogger } from '../adapters/logging/pino-logger';
import type { Logger } from '../ports/logger';
import type { ProxServer } from '../app/prox-server';
import { formatDiagnostic } from './validate-command';

export interface ServeOptions {
  readonly config?: string;
}

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
  const server = createProxServer({ logger });
  try {
    await server.start(loaded.config);
  } catch (error) {
    logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
  keepRunningOnStrayErrors(logger);
  return new Promise<number>((resolve) => {
    let current = loaded.config;
    const stop = (signal: string): void => {
      process.removeAllListeners('SIGTERM');
      process.removeAllListeners('SIGINT');
      // A second signal means "now".
      process.once('SIGTERM', () => process.exit(1));
      process.once('SIGINT', () => process.exit(1));
      logger.info('shutting down', { signal, inFlight: server.inFlight });
      void server.shutdown(current.shutdownTimeoutSecs * 1000).then((drained) => {
        logger.info('stopped', { drained });
        resolve(0);
      });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => {
      void reload(server, configFile, current, logger).then((next) => {
        current = next;
      });
    });
  });
}

async function reload(server: ProxServer, file: string, current: ProxConfig, logger: Logger): Promise<ProxConfig> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    for (const error of loaded.errors) logger.error('config reload rejected', diagnosticFields(error));
    return current;
  }
  const { host, port } = loaded.config.listenAddr;
  if (host !== current.listenAddr.host || port !== current.listenAddr.port) {
    logger.warn('listen_addr changes need a restart; keeping the current listener', { host, port });
  }
  server.replaceConfig(loaded.config);
  logger.info('config reloaded', { file, routes: loaded.config.routes.length });
  return loaded.config;
}

/**
 * A throw inside a µWebSockets callback would abort the process with every connection on it.
 * The adapters guard their callbacks; this is the last net, so one bad request never takes
 * the proxy down.
 */
function keepRunningOnStrayErrors(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception (request isolated, process kept running)', { error: error.stack ?? String(error) });
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: String(reason) });
  });
}

function diagnosticFields(d: Diagnostic): Record<string, unknown> {
  return { file: d.file, line: d.line, col: d.col, path: d.path, message: d.message, hint: d.hint };
}
