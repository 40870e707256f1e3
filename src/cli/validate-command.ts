import { resolveConfigPath } from '../config/loader';
import { formatText, validateConfigFile } from '../app/validation-report';
import { engineDescriber } from '../composition/http-server-choice';

export interface ValidateOptions {
  /** `--config`; falls back to PROX_CONFIG, then ./config.yaml. */
  readonly config?: string;
  readonly format: 'text' | 'json';
  /** `--strict`: warnings fail validation too. */
  readonly strict?: boolean;
}

export interface ValidateIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
  readonly env: NodeJS.ProcessEnv;
}

/** `prox validate`: checks a config file without starting anything; returns the exit code. */
export async function runValidate(opts: ValidateOptions, io: ValidateIo): Promise<number> {
  const { report, unreadable, exitCode } = await validateConfigFile(resolveConfigPath(opts.config, io.env), { strict: opts.strict === true, describeEngine: engineDescriber(io.env) });
  if (opts.format === 'json') io.out(JSON.stringify(report, null, 2));
  // Nothing was validated, so this is a failure to run rather than a validation report.
  else if (unreadable) io.err(formatText(report, { unreadable: true }));
  else io.out(formatText(report));
  return exitCode;
}
