import type { FileKind, OpenFile, StaticFileSystem } from '../../../src/ports/static-files';

interface Entry {
  readonly kind: FileKind;
  readonly content: Uint8Array;
  readonly mtimeMs: number;
}

/**
 * An in-memory StaticFileSystem with symlinks, counting opens and closes so tests can prove no
 * descriptor leaks; reads can be held to play a slow disk.
 */
export class FakeFileSystem implements StaticFileSystem {
  private readonly entries = new Map<string, Entry>([['/', { kind: 'directory', content: new Uint8Array(0), mtimeMs: 0 }]]);
  private readonly links = new Map<string, string>();
  opened = 0;
  closed = 0;
  reads: { position: number; length: number }[] = [];
  /** While true, reads wait for `releaseReads`. */
  holdReads = false;
  private held: (() => void)[] = [];
  /** Make every read reject (a failing disk). */
  failReads = false;

  get openNow(): number {
    return this.opened - this.closed;
  }

  dir(path: string): this {
    this.parentsOf(path);
    this.entries.set(path, { kind: 'directory', content: new Uint8Array(0), mtimeMs: 0 });
    return this;
  }

  file(path: string, content: string | Uint8Array, mtimeMs = Date.UTC(2024, 0, 2, 3, 4, 5)): this {
    this.parentsOf(path);
    this.entries.set(path, { kind: 'file', content: typeof content === 'string' ? new TextEncoder().encode(content) : content, mtimeMs });
    return this;
  }

  fifo(path: string): this {
    this.parentsOf(path);
    this.entries.set(path, { kind: 'other', content: new Uint8Array(0), mtimeMs: 0 });
    return this;
  }

  symlink(path: string, target: string): this {
    this.parentsOf(path);
    this.links.set(path, target);
    return this;
  }

  releaseReads(): void {
    const held = this.held;
    this.held = [];
    for (const release of held) release();
  }

  realPath(path: string): Promise<string | null> {
    return Promise.resolve(this.resolve(path, 0));
  }

  open(path: string): Promise<OpenFile | null> {
    // O_NOFOLLOW: a symlink in the last component is refused.
    if (this.links.has(path)) return Promise.resolve(null);
    const entry = this.entries.get(path);
    if (entry === undefined) return Promise.resolve(null);
    this.opened++;
    return Promise.resolve(new FakeOpenFile(this, entry));
  }

  /** @internal */
  async read(entry: Entry, position: number, length: number): Promise<Uint8Array> {
    this.reads.push({ position, length });
    if (this.holdReads) await new Promise<void>((resolve) => this.held.push(resolve));
    if (this.failReads) throw new Error('EIO: i/o error');
    return entry.content.slice(position, position + length);
  }

  private resolve(path: string, depth: number): string | null {
    if (depth > 20) return null;
    let current = '';
    for (const segment of path.split('/')) {
      if (segment === '' || segment === '.') continue;
      if (segment === '..') {
        current = current.slice(0, current.lastIndexOf('/'));
        continue;
      }
      const next = current + '/' + segment;
      const link = this.links.get(next);
      if (link !== undefined) {
        const target = link.startsWith('/') ? link : (current || '') + '/' + link;
        const resolved = this.resolve(target, depth + 1);
        if (resolved === null) return null;
        current = resolved === '/' ? '' : resolved;
      } else if (this.entries.has(next)) {
        current = next;
      } else {
        return null;
      }
    }
    return current === '' ? '/' : current;
  }

  private parentsOf(path: string): void {
    const parts = path.split('/').filter((p) => p.length > 0);
    let current = '';
    for (let i = 0; i < parts.length - 1; i++) {
      current += '/' + parts[i];
      if (!this.entries.has(current) && !this.links.has(current)) this.entries.set(current, { kind: 'directory', content: new Uint8Array(0), mtimeMs: 0 });
    }
  }
}

class FakeOpenFile implements OpenFile {
  private isClosed = false;

  constructor(
    private readonly fs: FakeFileSystem,
    private readonly entry: Entry,
  ) {}

  get kind(): FileKind {
    return this.entry.kind;
  }

  get size(): number {
    return this.entry.content.byteLength;
  }

  get mtimeMs(): number {
    return this.entry.mtimeMs;
  }

  read(position: number, length: number): Promise<Uint8Array> {
    if (this.isClosed) return Promise.reject(new Error('read after close'));
    return this.fs.read(this.entry, position, length);
  }

  close(): Promise<void> {
    if (this.isClosed) throw new Error('closed twice');
    this.isClosed = true;
    this.fs.closed++;
    return Promise.resolve();
  }
}
