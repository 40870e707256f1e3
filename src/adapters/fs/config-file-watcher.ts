import { FSWatcher, watch } from 'node:fs';
import { basename, dirname } from 'node:path';

/**
 * Calls back once per burst of changes to one file.
 *
 * The directory is watched rather than the file: editors and deploy tools often write a new
 * file and rename it over the old one, after which a watch on the old file sees nothing more.
 * Changes are debounced, so a save that arrives as several events gives one reload.
 */
export class ConfigFileWatcher {
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly file: string,
    private readonly debounceMs: number,
    private readonly onChange: () => void,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    const name = basename(this.file);
    this.watcher = watch(dirname(this.file), { persistent: false }, (_event, changed) => {
      if (changed !== null && changed.toString() !== name) return;
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

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.onChange();
    }, this.debounceMs);
  }
}
