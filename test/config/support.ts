import { loadConfigText } from '../../src/config/loader';
import type { Diagnostic, LoadResult, ProxConfig } from '../../src/config/model';

/** Joins lines so a test's line numbers are simply the 1-based index in the list. */
export function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

export const FILE = 'test.yaml';

export function load(text: string): LoadResult {
  return loadConfigText(text, FILE);
}

export function loadValid(text: string): ProxConfig {
  const result = load(text);
  if (!result.ok) {
    throw new Error(`expected a valid config, got:\n${result.errors.map((e) => `${e.line}:${e.col} ${e.message}`).join('\n')}`);
  }
  return result.config;
}

export function errorsOf(text: string): readonly Diagnostic[] {
  const result = load(text);
  if (result.ok) throw new Error('expected the config to be invalid');
  return result.errors;
}

/** A valid config's first lines; route lines follow from line 3 on. */
export const HEADER = ['listen_addr: "127.0.0.1:3000"', 'routes:'];
