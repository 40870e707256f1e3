import { loadConfigFile, loadConfigText, type LoadOptions } from '../../config/loader';
import type { Diagnostic, LoadResult } from '../../config/model';

/** Where the config comes from: read and validated again on every reload. */
export interface ConfigSource {
  /** The file name shown in logs and diagnostics. */
  readonly name: string;
  /** The file it reads (worker processes read it too), or null for text held in memory. */
  readonly file: string | null;
  /** `options.lint`: also route lint, as `prox validate` (the admin's reload dry run). */
  load(options?: LoadOptions): Promise<LoadResult>;
}

/** A YAML file on disk (`prox serve --config`, `startProx({ configPath })`). */
export class ConfigFileSource implements ConfigSource {
  constructor(readonly name: string) {}

  get file(): string {
    return this.name;
  }

  load(options?: LoadOptions): Promise<LoadResult> {
    return loadConfigFile(this.name, options);
  }
}

/**
 * YAML text held in memory (`startProx({ config })`); `replace` swaps it before a reload.
 * `name` names it in diagnostics and anchors its relative paths, as a file's location would.
 */
export class ConfigTextSource implements ConfigSource {
  readonly file = null;

  constructor(
    private text: string,
    readonly name: string,
  ) {}

  replace(text: string): void {
    this.text = text;
  }

  async load(options?: LoadOptions): Promise<LoadResult> {
    return loadConfigText(this.text, this.name, options);
  }
}

/** A finding as structured log fields. */
export function diagnosticFields(d: Diagnostic): Record<string, unknown> {
  return { file: d.file, line: d.line, col: d.col, path: d.path, message: d.message, hint: d.hint };
}
