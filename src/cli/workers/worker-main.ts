import { loadConfigFile } from '../../config/loader';
import type { ProxConfig } from '../../config/model';
import { buildContainer, ProxServerToken } from '../../composition/container';
import { IpcAdminServer } from '../../adapters/ipc/ipc-admin-server';
import { PinoLogger } from '../../adapters/logging/pino-logger';
import type { PrometheusMetrics } from '../../adapters/prometheus/prometheus-metrics';
import type { ProxServer } from '../../app/prox-server';
import { ProxMetrics } from '../../ports/metrics';
import { diagnosticFields, keepRunningOnStrayErrors } from '../serve-command';
import type { Server, Socket } from 'node:net';
import type { FromWorker, ToWorker, WorkerSettings } from './messages';

/**
 * One worker of `workers: N`: a normal ProxServer on the shared public port, steered by the
 * supervisor over IPC (reload, admin questions, metrics) and by SIGTERM (drain and exit).
 * The supervisor validated the config already; a worker exits 1 if it cannot start.
 */
async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings;
  // Taken before anything awaits, so the supervisor's first message (sent at fork) is not missed.
  const sharedTls = settings.sharedTlsListener === true ? takeSharedTlsListener() : null;
  const logger = new PinoLogger(process.stdout, { worker: settings.id });
  const send = (message: FromWorker): void => {
    if (process.connected) process.send!(message);
  };
  keepRunningOnStrayErrors(logger);
  // The terminal sends Ctrl-C and hang-up to the whole process group; the supervisor decides.
  process.on('SIGINT', () => undefined);
  process.on('SIGHUP', () => undefined);

  const loaded = await loadConfigFile(settings.configFile);
  if (!loaded.ok) {
    for (const error of loaded.errors) logger.error('config rejected', diagnosticFields(error));
    process.exit(1);
  }
  const admin = new IpcAdminServer(settings.adminAddress ?? { host: '127.0.0.1', port: 0 });
  const container = buildContainer({ logger, adminServer: admin, env: process.env, publicPortShared: true, sharedTlsListener: sharedTls === null ? undefined : await sharedTls.listener, adoptTlsConnection: (adopt) => sharedTls?.onConnection(adopt) });
  const server = container.get<ProxServer>(ProxServerToken);
  const metrics = container.get<ProxMetrics>(ProxMetrics) as PrometheusMetrics;
  let current = withPort(loaded.config, settings.port);
  let reloads: Promise<unknown> = Promise.resolve();

  process.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'admin':
        void admin.answer(message.method, message.path).then(
          (answer) => send({ type: 'admin', id: message.id, answer }),
          (error: unknown) => send({ type: 'admin', id: message.id, answer: { status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal_error', detail: String(error) }) } }),
        );
        return;
      case 'metrics':
        void metrics.registry.getMetricsAsJSON().then((json) => send({ type: 'metrics', id: message.id, metrics: json }));
        return;
      case 'reload':
        reloads = reloads.then(async () => {
          const result = await reload(message.trigger, message.port);
          send({ type: 'reload', id: message.id, ...result });
        });
        return;
    }
  });

  const reload = async (trigger: string, port: number | null): Promise<{ applied: boolean; reason: string | null }> => {
    const next = await loadConfigFile(settings.configFile);
    if (!next.ok) {
      server.reloadRejected();
      return { applied: false, reason: `config changed again and is invalid: ${next.errors[0]?.message ?? ''}` };
    }
    const config = withPort(next.config, port);
    const result = await server.replaceConfig(config);
    if (!result.applied) {
      logger.error('config reload failed; the running config stays', { file: settings.configFile, trigger, reason: result.reason });
      return { applied: false, reason: result.reason };
    }
    current = config;
    logger.info('config reloaded', { file: settings.configFile, trigger, routes: config.routes.length, rebound: result.rebound });
    return { applied: true, reason: null };
  };

  let stopping = false;
  const stop = (why: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info('shutting down', { signal: why, inFlight: server.inFlight });
    void server.shutdown(current.shutdownTimeoutSecs * 1000).then((drained) => {
      logger.info('stopped', { drained });
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  // Without its supervisor nobody would restart, reload or stop this worker: leave with it.
  process.on('disconnect', () => stop('supervisor gone'));

  try {
    await server.start(current);
  } catch (error) {
    logger.error('cannot start', { error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
  send({ type: 'listening', port: server.address.port });
}

/**
 * The listening TLS socket the supervisor hands over (Node < 22.12, where workers cannot each
 * bind the port), and the connections its own copy accepted, passed on unread.
 */
function takeSharedTlsListener(): { listener: Promise<Server>; onConnection(adopt: (socket: Socket) => void): void } {
  let adopt: ((socket: Socket) => void) | null = null;
  const early: Socket[] = [];
  const listener = new Promise<Server>((resolve) => {
    process.on('message', (message: ToWorker, handle: unknown) => {
      if (message.type === 'tls-listener') resolve(handle as Server);
      else if (message.type === 'tls-connection' && handle !== undefined) {
        if (adopt === null) early.push(handle as Socket);
        else adopt(handle as Socket);
      }
    });
  });
  return {
    listener,
    onConnection(callback) {
      adopt = callback;
      for (const socket of early.splice(0)) callback(socket);
    },
  };
}

/** Port 0 in the file means "the port the supervisor picked" for every worker. */
function withPort(config: ProxConfig, port: number | null): ProxConfig {
  if (port === null || config.listenAddr.port !== 0) return config;
  return { ...config, listenAddr: { ...config.listenAddr, port } };
}

void main();
