import type { ProcessControl } from './lifecycle/process-control';
import { ConfigFileSource, diagnosticFields } from './lifecycle/config-source';
import { lifecycleFor, ProxParts } from './prox-parts';
import { formatDiagnostic } from './validation-report';

export interface ServeRequest {
  readonly configFile: string;
  /** Reload when the config file changes (SIGHUP reloads either way). */
  readonly watch: boolean;
  /** Where findings that keep prox from starting go (stderr), one line each. */
  readonly printError: (line: string) => void;
}

/**
 * `prox serve`: load and validate the config, listen, and stay up until SIGTERM/SIGINT, which
 * drain in-flight requests (up to `shutdown_timeout_secs`). SIGHUP or a change of the file
 * reloads it; an invalid file leaves the running config untouched. Resolves with the exit code:
 * 0 after a stop, 1 for an invalid config or a failed start, 2 for an unreadable file.
 */
export async function serveProx(request: ServeRequest, parts: ProxParts, control: ProcessControl): Promise<number> {
  const source = new ConfigFileSource(request.configFile);
  const loaded = await source.load();
  for (const warning of loaded.warnings) parts.logger.warn('config warning', diagnosticFields(warning));
  if (!loaded.ok) {
    for (const error of loaded.errors) request.printError(formatDiagnostic(error));
    return loaded.unreadable ? 2 : 1;
  }
  const environmentProblem = parts.environmentProblem(loaded.config.engine);
  if (environmentProblem !== null) {
    request.printError(`prox: ${environmentProblem}`);
    return 1;
  }
  const lifecycle = lifecycleFor(source, loaded.config, parts, { control, watch: request.watch });
  try {
    await lifecycle.start(loaded.config);
  } catch {
    return 1;
  }
  await lifecycle.stopped;
  return 0;
}
