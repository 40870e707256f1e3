import { join } from 'node:path';
import { nodeProcessControl } from '../app/lifecycle/process-control';
import { serveProx } from '../app/serve';
import { createLogger, createProxParts } from '../composition/process-parts';
import { resolveConfigPath } from '../config/loader';
import { keepRunningOnStrayErrors } from './stray-errors';

export interface ServeOptions {
  readonly config?: string;
  /** Reload when the config file changes (default true). */
  readonly watch?: boolean;
}

/** `prox serve`; resolves with the exit code. */
export function runServe(options: ServeOptions, env: NodeJS.ProcessEnv): Promise<number> {
  const logger = createLogger();
  keepRunningOnStrayErrors(logger);
  const parts = createProxParts({ env, logger, workerScript: join(__dirname, 'worker-main.js') });
  const request = {
    configFile: resolveConfigPath(options.config, env),
    watch: options.watch !== false,
    printError: (line: string) => process.stderr.write(line + '\n'),
  };
  return serveProx(request, parts, nodeProcessControl);
}
