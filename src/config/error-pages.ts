import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { DiagnosticList } from './diagnostics';
import type { ErrorPageSpec } from './model';
import { asRecord } from './raw-config';
import type { RawErrorPage, RawErrorPages } from './raw-config';

/** Error pages are sent from memory, so a file that is really a site belongs elsewhere. */
export const MAX_ERROR_PAGE_BYTES = 1024 * 1024;

/** Contents of the files named by `errors.*.file`, by absolute path, read once per load. */
export type ErrorPageFiles = ReadonlyMap<string, string>;

/**
 * Checks every `errors` block (top level and per route) and reads the files they name, so a
 * missing or unreadable file is a validation error at its line rather than a surprise when a
 * backend fails. Runs on possibly schema-invalid data.
 */
export function checkErrorPages(data: unknown, configDir: string, out: DiagnosticList): ErrorPageFiles {
  const files = new Map<string, string>();
  const config = asRecord(data);
  if (!config) return files;
  checkBlock(config['errors'], ['errors'], configDir, files, out);
  const routes = asRecord(config['routes']) ?? {};
  for (const [key, route] of Object.entries(routes)) {
    checkBlock(asRecord(route)?.['errors'], ['routes', key, 'errors'], configDir, files, out);
  }
  return files;
}

function checkBlock(
  value: unknown,
  at: readonly string[],
  configDir: string,
  files: Map<string, string>,
  out: DiagnosticList,
): void {
  const block = asRecord(value);
  if (!block) return;
  for (const [status, entry] of Object.entries(block)) {
    const page = asRecord(entry);
    if (!page) continue;
    const where = [...at, status];
    const hasBody = page['body'] !== undefined;
    const file = page['file'];
    if (hasBody === (file !== undefined)) {
      out.error(where, `error page ${status} needs exactly one of body and file`, {
        anchor: 'key',
        hint: 'write the body inline with body: "..." or point to a file with file: errors/502.html',
      });
      continue;
    }
    const isJson = (page['type'] ?? 'json') === 'json';
    if (hasBody) {
      const body = page['body'];
      if (typeof body === 'string' && isJson && !parsesAsJson(body)) {
        out.error([...where, 'body'], `error page ${status} has type json but its body is not valid JSON`, {
          hint: 'write the body as a YAML mapping (sent as JSON), fix the JSON, or set type: text / html',
        });
      } else if (typeof body !== 'string' && !isJson) {
        out.error([...where, 'body'], `error page ${status}: a mapping or list body needs type json`, {
          hint: 'write the body as a string for type text or html',
        });
      }
      continue;
    }
    if (typeof file !== 'string' || file.length === 0) continue;
    const resolved = path.resolve(configDir, file);
    const problem = readPageFile(resolved, files);
    if (problem !== null) {
      out.error([...where, 'file'], `error page ${status}: cannot use ${resolved}: ${problem}`, {
        hint: 'a relative path is taken relative to the directory of the config file',
      });
    } else if (isJson && !parsesAsJson(files.get(resolved)!)) {
      out.error([...where, 'file'], `error page ${status} has type json but ${resolved} is not valid JSON`, {
        hint: 'fix the file or set type: text / html',
      });
    }
  }
}

/** Reads the file into `files`; returns what is wrong with it, or null. */
function readPageFile(file: string, files: Map<string, string>): string | null {
  if (files.has(file)) return null;
  try {
    const stats = statSync(file);
    if (!stats.isFile()) return 'not a regular file';
    if (stats.size > MAX_ERROR_PAGE_BYTES) return `larger than ${MAX_ERROR_PAGE_BYTES} bytes`;
    files.set(file, readFileSync(file, 'utf8'));
    return null;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'no such file';
    if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
    return (error as Error).message;
  }
}

function parsesAsJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * The validated `errors` block as pages, with `inherited` (the top-level pages) for codes the
 * block does not set. Files come from `files`, read by checkErrorPages.
 */
export function normaliseErrorPages(
  block: RawErrorPages | undefined,
  inherited: readonly ErrorPageSpec[],
  configDir: string,
  files: ErrorPageFiles,
): ErrorPageSpec[] {
  const byStatus = new Map<number, ErrorPageSpec>();
  for (const page of inherited) byStatus.set(page.status, page);
  for (const [status, page] of Object.entries(block ?? {})) {
    byStatus.set(Number(status), { status: Number(status), type: page.type ?? 'json', body: pageBody(page, configDir, files) });
  }
  return [...byStatus.values()].sort((a, b) => a.status - b.status);
}

function pageBody(page: RawErrorPage, configDir: string, files: ErrorPageFiles): string {
  if (page.body !== undefined) return typeof page.body === 'string' ? page.body : JSON.stringify(page.body);
  const file = path.resolve(configDir, page.file ?? '');
  const body = files.get(file);
  if (body === undefined) throw new Error(`unvalidated error page file reached normalise: ${file}`);
  return body;
}
