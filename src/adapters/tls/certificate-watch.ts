import { watch, type FSWatcher } from 'node:fs';
import * as path from 'node:path';

/** Certificate tools write cert and key in several steps; wait this long after the last event. */
const DEBOUNCE_MS = 200;

/**
 * Watches the directories of certificate and key files (a directory watch sees atomic renames
 * and Kubernetes' `..data` symlink swaps, which a file watch misses) and calls `changed` once
 * after a burst of events concerning those files.
 */
export class CertificateWatch {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    files: readonly string[],
    private readonly changed: () => void,
    onError: (error: Error) => void,
  ) {
    const byDirectory = new Map<string, Set<string>>();
    for (const file of files) {
      const dir = path.dirname(file);
      let names = byDirectory.get(dir);
      if (names === undefined) byDirectory.set(dir, (names = new Set()));
      names.add(path.basename(file));
    }
    for (const [dir, names] of byDirectory) {
      try {
        const watcher = watch(dir, { persistent: false }, (_event, name) => {
          const file = name === null ? null : String(name);
          if (file === null || names.has(file) || file.startsWith('..')) this.schedule();
        });
        watcher.on('error', onError);
        this.watchers.push(watcher);
      } catch (error) {
        onError(error as Error);
      }
    }
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.changed();
    }, DEBOUNCE_MS);
    this.timer.unref();
  }

  close(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    for (const watcher of this.watchers.splice(0)) watcher.close();
  }
}
