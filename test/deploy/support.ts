import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateConfig } from '../../src/index';

export const ROOT = join(__dirname, '..', '..');
export const DEPLOY = join(ROOT, 'deploy');

export function readDeploy(...parts: string[]): string {
  return readFileSync(join(DEPLOY, ...parts), 'utf8');
}

/** Every YAML document of a file, with merge keys (<<) resolved as Compose does. */
export function yamlDocuments(text: string): unknown[] {
  return parseAllDocuments(text, { merge: true }).map((document) => {
    if (document.errors.length > 0) throw new Error(document.errors.map((e) => e.message).join('\n'));
    return document.toJS() as unknown;
  });
}

/** `prox validate` on YAML text: the error messages (empty when valid). */
export function proxConfigErrors(text: string, file: string): string[] {
  const result = validateConfig(text, { file });
  return result.errors.map((error) => `${error.line}: ${error.path} ${error.message}`);
}
