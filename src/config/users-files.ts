import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DiagnosticList } from './diagnostics';
import { asRecord, asString } from './raw-config';

/** htpasswd entries of each route's `auth.basic.users_file`, by route key, read at load time. */
export type UsersFiles = ReadonlyMap<string, readonly HtpasswdEntry[]>;

export interface HtpasswdEntry {
  readonly name: string;
  readonly hash: string;
}

/** bcrypt as htpasswd -B and most libraries write it: $2a$/$2b$/$2y$, cost, 53 characters of salt and hash. */
const BCRYPT = /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/;
const MAX_USERS_FILE_BYTES = 1024 * 1024;

/**
 * Reads every `auth.basic.users_file`: it must exist and hold only `user:bcrypt-hash` lines, so
 * a plain-text password, an MD5 (apr1) or SHA1 entry is an error with its line in the hint.
 */
export function checkUsersFiles(data: unknown, configDir: string, out: DiagnosticList): UsersFiles {
  const files = new Map<string, readonly HtpasswdEntry[]>();
  const routes = asRecord(asRecord(data)?.['routes']) ?? {};
  for (const [key, route] of Object.entries(routes)) {
    const file = asString(asRecord(asRecord(asRecord(route)?.['auth'])?.['basic'])?.['users_file']);
    if (file === undefined || file === '') continue;
    const at = ['routes', key, 'auth', 'basic', 'users_file'];
    const entries = readUsersFile(path.resolve(configDir, file), at, out);
    if (entries !== null) files.set(key, entries);
  }
  return files;
}

function readUsersFile(file: string, at: readonly string[], out: DiagnosticList): HtpasswdEntry[] | null {
  let text: string;
  try {
    const bytes = readFileSync(file);
    if (bytes.length > MAX_USERS_FILE_BYTES) {
      out.error(at, `users file ${file} is larger than 1 MiB`, { hint: 'an htpasswd file holds one line per user' });
      return null;
    }
    text = bytes.toString('utf8');
  } catch (error) {
    out.error(at, `cannot read users file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, { hint: 'create it with htpasswd -B -c <file> <user>, or fix the path (relative to the config file)' });
    return null;
  }
  const entries: HtpasswdEntry[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '' || line.startsWith('#')) continue;
    const colon = line.indexOf(':');
    const name = colon === -1 ? '' : line.slice(0, colon);
    const hash = colon === -1 ? '' : line.slice(colon + 1);
    if (name === '' || !BCRYPT.test(hash)) {
      out.error(at, `users file ${file} line ${i + 1} is not user:bcrypt-hash`, {
        hint: 'only bcrypt hashes ($2y$...) are accepted, never plain text, MD5 ($apr1$) or SHA; write entries with htpasswd -B',
      });
      return null;
    }
    entries.push({ name, hash });
  }
  if (entries.length === 0) out.warning(at, `users file ${file} has no users: every request on the route gets 401`, { hint: 'add users with htpasswd -B <file> <user>' });
  return entries;
}
