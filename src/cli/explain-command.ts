import { explainFromFile } from '../app/tools/explain-command';
import { createToolParts } from '../composition/tool-parts';
import { resolveConfigPath } from '../config/loader';

export interface ExplainOptions {
  readonly config?: string;
  readonly header: string[];
  readonly clientIp: string;
  readonly format: 'text' | 'json';
}

/** `prox explain METHOD URL`; returns the exit code. */
export function runExplain(method: string, url: string, opts: ExplainOptions, env: NodeJS.ProcessEnv): Promise<number> {
  return explainFromFile(
    resolveConfigPath(opts.config, env),
    { method, url, headers: opts.header, clientIp: opts.clientIp },
    opts.format,
    createToolParts().trustPredicate,
    { out: (s) => console.log(s), err: (s) => console.error(s) },
  );
}
