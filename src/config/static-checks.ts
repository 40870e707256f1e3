import { statSync } from 'node:fs';
import * as path from 'node:path';
import type { DiagnosticList } from './diagnostics';
import { asRecord, asString } from './raw-config';

/**
 * Rules for static routes that need the file system or more than a pattern: the root must be
 * an existing directory (relative roots resolve against the config file's directory, as the
 * runtime does), and the fallback must stay a plain path below it.
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkStaticRoutes(data: unknown, configDir: string, out: DiagnosticList): void {
  const routes = asRecord(asRecord(data)?.['routes']);
  if (!routes) return;
  for (const [key, value] of Object.entries(routes)) {
    const route = asRecord(value);
    if (!route || route['type'] !== 'static') continue;
    const root = asString(route['root']);
    if (root !== undefined && root.length > 0) checkRoot(['routes', key, 'root'], root, configDir, out);
    const fallback = asString(route['fallback']);
    if (fallback !== undefined) checkFallback(['routes', key, 'fallback'], fallback, route['allow_dotfiles'] === true, out);
  }
}

function checkRoot(at: readonly string[], root: string, configDir: string, out: DiagnosticList): void {
  const resolved = path.resolve(configDir, root);
  const shown = resolved === root ? `"${root}"` : `"${root}" (${resolved})`;
  let isDirectory: boolean;
  try {
    isDirectory = statSync(resolved).isDirectory();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      out.error(at, `static root ${shown} does not exist`, {
        hint: "create the directory or fix the path; a relative root is resolved against the config file's directory",
      });
    } else {
      out.error(at, `static root ${shown} cannot be read: ${code ?? (error as Error).message}`, {
        hint: 'check the permissions of the directory and of every directory above it',
      });
    }
    return;
  }
  if (!isDirectory) {
    out.error(at, `static root ${shown} is not a directory`, { hint: 'root names the directory files are served from, not a single file' });
  }
}

function checkFallback(at: readonly string[], fallback: string, allowDotfiles: boolean, out: DiagnosticList): void {
  const segments = fallback.split('/').filter((segment) => segment.length > 0);
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    out.error(at, `fallback "${fallback}" contains a "." or ".." segment`, { hint: 'write the path of a file under root from its top, e.g. "/index.html"' });
  } else if (!allowDotfiles && segments.some((segment) => segment.startsWith('.'))) {
    out.error(at, `fallback "${fallback}" is a dotfile, which this route never serves`, { hint: 'pick a file whose path has no segment starting with ".", or set allow_dotfiles: true' });
  }
}
