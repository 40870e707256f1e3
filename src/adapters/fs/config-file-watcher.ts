import { FSWatcher, realpathSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls back once per burst of changes to one file.
 *
 * The directory is watched rather than the file: editors and deploy tools often write a new
 * file and rename it over the old one, after which a watch on the old file sees nothing more.
 * Changes are debounced, so a save that arrives as several events gives one reload.
 *
 * The file may also be a symlink whose target moves without the file's own name appearing in any
 * event: a Kubernetes ConfigMap volume links `config.yaml` to `..data/config.yaml` and updates by
 * renaming a new `..data` symlink over the old one. So any other event in the directory counts
 * when the file now resolves to a different path.
 */
export class ConfigFileWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;
  private resolvedPath: string | null = null;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    const name = basename(this.file);
    this.resolvedPath = this.resolve();
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed.toString() !== name && !this.targetMoved()) return;
      this.schedule();
    });
    this.watcher.on('error', (error) => this.onError(error));
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private targetMoved(): boolean {
    const resolved = this.resolve();
    if (resolved === this.resolvedPath) return false;
    this.resolvedPath = resolved;
    return true;
  }

  /** Where the file's symlinks lead now; null while it is missing (mid-swap). */
  private resolve(): string | null {
    try {
      return realpathSync(this.file);
    } catch {
      return null;
    }
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onChange();
    }, this.debounceMs);
  }
}
