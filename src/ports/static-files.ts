/**
 * Read-only access to the files a static route serves. Paths are absolute POSIX paths built by
 * the core from segments it has already vetted; the adapter adds no policy of its own.
 */
export interface StaticFileSystem {
  /**
   * The canonical path with every symlink resolved, or null when nothing readable is there
   * (missing, not a directory on the way, a symlink loop, no permission, name too long).
   * Other failures reject.
   */
  realPath(path: string): Promise<string | null>;
  /**
   * Opens for reading without following a symlink in the last component and without blocking
   * on special files (a FIFO must not hang a worker thread). Null when nothing readable is there.
   */
  open(path: string): Promise<OpenFile | null>;
}

export const StaticFileSystem = Symbol.for('prox.StaticFileSystem');

export type FileKind = 'file' | 'directory' | 'other';

/** An open file and what `fstat` said about it when it was opened. */
export interface OpenFile {
  readonly kind: FileKind;
  readonly size: number;
  /** Modification time, ms since the epoch. */
  readonly mtimeMs: number;
  /**
   * Reads up to `length` bytes at `position` into a fresh buffer (the caller may hand it on and
   * never sees it reused); fewer bytes only at the end of the file.
   */
  read(position: number, length: number): Promise<Uint8Array>;
  /** Releases the descriptor; never rejects. Call once, and not while a read is in flight. */
  close(): Promise<void>;
}
