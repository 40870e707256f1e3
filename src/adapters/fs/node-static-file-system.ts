import { constants } from 'node:fs';
import { open, realpath, type FileHandle } from 'node:fs/promises';
import type { FileKind, OpenFile, StaticFileSystem } from '../../ports/static-files';

/** Errors that mean "nothing servable here", as opposed to a broken disk or exhausted descriptors. */
const ABSENT = new Set(['ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES', 'EPERM', 'ENAMETOOLONG', 'EISDIR', 'ENXIO']);

const OPEN_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

export class NodeStaticFileSystem implements StaticFileSystem {
  async realPath(path: string): Promise<string | null> {
    try {
      return await realpath(path);
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
  }

  async open(path: string): Promise<OpenFile | null> {
    let handle: FileHandle;
    try {
      handle = await open(path, OPEN_FLAGS);
    } catch (error) {
      if (isAbsent(error)) return null;
      throw error;
    }
    try {
      const stats = await handle.stat();
      const kind: FileKind = stats.isFile() ? 'file' : stats.isDirectory() ? 'directory' : 'other';
      return new NodeOpenFile(handle, kind, stats.size, stats.mtimeMs);
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
}

class NodeOpenFile implements OpenFile {
  constructor(
    private readonly handle: FileHandle,
    readonly kind: FileKind,
    readonly size: number,
    readonly mtimeMs: number,
  ) {}

  async read(position: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buffer, 0, length, position);
    return bytesRead === length ? buffer : buffer.subarray(0, bytesRead);
  }

  close(): Promise<void> {
    return this.handle.close().catch(() => undefined);
  }
}

function isAbsent(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code !== undefined && ABSENT.has(code);
}
