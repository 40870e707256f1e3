import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, unlinkSync, writeSync, chmodSync } from 'node:fs';
import * as path from 'node:path';
import type { FailureHistory } from '../../core/tls/renewal-plan';

/** What is kept next to a certificate between runs: the failure history (backoff survives restarts). */
export interface CertificateState {
  readonly failures: FailureHistory;
  readonly lastError: string | null;
}

const NO_STATE: CertificateState = { failures: { count: 0, lastFailureMs: 0, recentFailuresMs: [] }, lastError: null };

/**
 * The `storage_path` layout (directories 0700, keys 0600, every write atomic: temp file, fsync,
 * rename, fsync of the directory):
 *
 *   accounts/<ca host>-<hash of the directory URL>/account.key
 *   certificates/<primary name>-<hash of names + CA>/cert.pem, key.pem, state.json, order.lock
 */
export class AcmeStorage {
  readonly accountDir: string;
  readonly certificateDir: string;

  constructor(root: string, directoryUrl: string, domains: readonly string[]) {
    const caHash = shortHash(directoryUrl);
    let caHost = 'ca';
    try {
      caHost = new URL(directoryUrl).host.replace(/[^a-z0-9.-]/gi, '_');
    } catch {
      // A schema-valid URI always parses; keep the neutral name otherwise.
    }
    this.accountDir = path.join(root, 'accounts', `${caHost}-${caHash}`);
    this.certificateDir = path.join(root, 'certificates', `${domains[0]}-${shortHash(directoryUrl + '\n' + [...domains].sort().join(','))}`);
  }

  /** The account key, or null when there is none yet. */
  readAccountKey(): Buffer | null {
    return readOrNull(path.join(this.accountDir, 'account.key'));
  }

  writeAccountKey(key: Buffer): void {
    writeAtomic(this.accountDir, 'account.key', key, 0o600);
  }

  /** The stored chain and key, or null when either is missing. */
  readCertificate(): { cert: string; key: string } | null {
    const cert = readOrNull(path.join(this.certificateDir, 'cert.pem'));
    const key = readOrNull(path.join(this.certificateDir, 'key.pem'));
    return cert === null || key === null ? null : { cert: cert.toString('utf8'), key: key.toString('utf8') };
  }

  /** Key first, then the chain: a reader finding a new chain always finds its key. */
  writeCertificate(pair: { cert: string; key: string }): void {
    writeAtomic(this.certificateDir, 'key.pem', Buffer.from(pair.key), 0o600);
    writeAtomic(this.certificateDir, 'cert.pem', Buffer.from(pair.cert), 0o644);
  }

  readState(): CertificateState {
    const raw = readOrNull(path.join(this.certificateDir, 'state.json'));
    if (raw === null) return NO_STATE;
    try {
      const parsed = JSON.parse(raw.toString('utf8')) as Partial<{ failures: number; lastFailureMs: number; lastError: string | null; recentFailuresMs: unknown }>;
      const count = typeof parsed.failures === 'number' && parsed.failures >= 0 ? parsed.failures : 0;
      const lastFailureMs = typeof parsed.lastFailureMs === 'number' ? parsed.lastFailureMs : 0;
      const recentFailuresMs = Array.isArray(parsed.recentFailuresMs) ? parsed.recentFailuresMs.filter((at): at is number => typeof at === 'number' && Number.isFinite(at)) : [];
      return { failures: { count, lastFailureMs, recentFailuresMs }, lastError: typeof parsed.lastError === 'string' ? parsed.lastError : null };
    } catch {
      return NO_STATE;
    }
  }

  writeState(state: CertificateState): void {
    const body =
      JSON.stringify(
        { failures: state.failures.count, lastFailureMs: state.failures.lastFailureMs, recentFailuresMs: state.failures.recentFailuresMs ?? [], lastError: state.lastError },
        null,
        2,
      ) + '\n';
    writeAtomic(this.certificateDir, 'state.json', Buffer.from(body), 0o600);
  }

  /**
   * Takes the order lock of this name set: another process sharing the storage must not order
   * the same names at once. A lock left by a process that no longer exists is taken over.
   * Returns the release function, or null when a live process holds it.
   */
  tryLock(): (() => void) | null {
    ensureDirectory(this.certificateDir);
    const file = path.join(this.certificateDir, 'order.lock');
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(file, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        return () => rmSync(file, { force: true });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        const holder = Number.parseInt(readOrNull(file)?.toString('utf8') ?? '', 10);
        if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) return null;
        unlinkSync(file);
      }
    }
    return null;
  }
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 12);
}

function readOrNull(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/** Creates the directory and its parents 0700 (and tightens an existing one). */
function ensureDirectory(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

/** Temp file in the same directory, fsync, rename over the target, fsync the directory. */
function writeAtomic(dir: string, name: string, data: Buffer, mode: number): void {
  ensureDirectory(dir);
  const target = path.join(dir, name);
  const temp = path.join(dir, `.${name}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'wx', mode);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(temp, target);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
  const dirFd = openSync(dir, 'r');
  try {
    fsyncSync(dirFd);
  } finally {
    closeSync(dirFd);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
