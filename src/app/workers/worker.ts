import { loadConfigFile, type LoadOptions } from '../../config/loader';
import type { LoadResult, ProxConfig } from '../../config/model';
import type { AdminResponse } from '../../ports/admin-server';
import type { Logger } from '../../ports/logger';
import { ConfigSource, diagnosticFields } from '../lifecycle/config-source';
import { ProcessControl, WORKER_SIGNALS } from '../lifecycle/process-control';
import { ProxLifecycle } from '../lifecycle/prox-lifecycle';
import type { ReloadOutcome } from '../lifecycle/reload-outcome';
import { ServerRuntime } from '../lifecycle/server-runtime';
import type { ProxServer } from '../prox-server';
import type { FromWorker, ToWorker, WorkerSettings } from './messages';

/** What a worker is built from; adapters come from src/composition. */
export interface WorkerParts {
  readonly logger: Logger;
  /** A ProxServer whose admin "listener" is answered over IPC (`answerAdmin`), sharing the public port. */
  readonly server: ProxServer;
  answerAdmin(method: string, path: string, authorization: string | null): Promise<AdminResponse>;
  /** This worker's metrics registry as JSON, for the supervisor to merge. */
  metricsSnapshot(): Promise<unknown[]>;
}

/** The IPC channel to the supervisor: `process` in a forked worker. */
export interface SupervisorChannel {
  send(message: FromWorker): void;
  onMessage(listener: (message: ToWorker) => void): void;
  /** The supervisor went away. */
  onDisconnect(listener: () => void): void;
}

export const processChannel: SupervisorChannel = {
  send(message) {
    if (process.connected) process.send!(message);
  },
  onMessage(listener) {
    process.on('message', listener);
  },
  onDisconnect(listener) {
    process.on('disconnect', listener);
  },
};

/**
 * One worker of `workers: N`: a normal ProxServer on the shared public port, steered by the
 * supervisor over IPC (reload, admin questions, metrics) and by SIGTERM (drain and exit).
 * The supervisor validated the config already; resolves with the process exit code.
 */
export async function runWorker(settings: WorkerSettings, parts: WorkerParts, channel: SupervisorChannel, control: ProcessControl): Promise<number> {
  const { logger, server } = parts;
  const source = new SharedPortSource(settings.configFile, settings.port);
  const loaded = await source.load();
  if (!loaded.ok) {
    for (const error of loaded.errors) logger.error('config rejected', diagnosticFields(error));
    return 1;
  }
  const lifecycle = new ProxLifecycle({
    source,
    runtime: new ServerRuntime(server, logger),
    logger,
    process: { control, signals: WORKER_SIGNALS },
    watch: null,
    // The supervisor reported the file's findings once for all workers.
    reportFindings: false,
  });
  channel.onMessage((message) => answer(message, parts, channel, source, lifecycle));
  // Without its supervisor nobody would restart, reload or stop this worker: leave with it.
  channel.onDisconnect(() => void lifecycle.stop('supervisor gone'));
  try {
    await lifecycle.start(loaded.config);
  } catch {
    return 1;
  }
  channel.send({ type: 'listening', port: server.address.port });
  await lifecycle.stopped;
  return 0;
}

function answer(message: ToWorker, parts: WorkerParts, channel: SupervisorChannel, source: SharedPortSource, lifecycle: ProxLifecycle): void {
  switch (message.type) {
    case 'admin':
      void parts.answerAdmin(message.method, message.path, message.authorization ?? null).then(
        (answer) => channel.send({ type: 'admin', id: message.id, answer }),
        (error: unknown) =>
          channel.send({ type: 'admin', id: message.id, answer: { status: 500, contentType: 'application/json', body: JSON.stringify({ error: 'internal_error', detail: String(error) }) } }),
      );
      return;
    case 'metrics':
      void parts.metricsSnapshot().then((metrics) => channel.send({ type: 'metrics', id: message.id, metrics }));
      return;
    case 'reload':
      source.port = message.port;
      void lifecycle.reload(message.trigger).then((outcome) => channel.send({ type: 'reload', id: message.id, applied: outcome.status === 'applied', reason: reasonOf(outcome) }));
      return;
  }
}

function reasonOf(outcome: ReloadOutcome): string | null {
  if (outcome.status === 'invalid') return `config changed again and is invalid: ${outcome.errors[0]?.message ?? ''}`;
  return outcome.reason;
}

/** The config file, with port 0 meaning "the port the supervisor picked" for every worker. */
class SharedPortSource implements ConfigSource {
  constructor(
    readonly file: string,
    /** Set by the supervisor with each reload; null = as configured. */
    public port: number | null,
  ) {}

  get name(): string {
    return this.file;
  }

  async load(options?: LoadOptions): Promise<LoadResult> {
    const loaded = await loadConfigFile(this.file, options);
    return loaded.ok ? { ...loaded, config: withPort(loaded.config, this.port) } : loaded;
  }
}

function withPort(config: ProxConfig, port: number | null): ProxConfig {
  if (port === null || config.listenAddr.port !== 0) return config;
  return { ...config, listenAddr: { ...config.listenAddr, port } };
}
