import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigFileWatcher } from '../../src/adapters/fs/config-file-watcher';

/**
 * A Kubernetes ConfigMap volume: `config.yaml` is a symlink to `..data/config.yaml`, and `..data`
 * a symlink to a timestamped directory. An update writes a new directory, points `..data_tmp` at
 * it and renames that over `..data` (one atomic swap), then removes the old directory: the file
 * name prox watches never appears in an event.
 */
function configMapVolume(): { dir: string; file: string; swap(content: string): void } {
  const dir = mkdtempSync(join(tmpdir(), 'prox-configmap-'));
  let generation = 0;
  const writeGeneration = (content: string): string => {
    const name = `..2026_12_03_00_00_0${++generation}.000000001`;
    mkdirSync(join(dir, name));
    writeFileSync(join(dir, name, 'config.yaml'), content);
    return name;
  };
  let current = writeGeneration('listen_addr: "127.0.0.1:0"\n');
  symlinkSync(current, join(dir, '..data'));
  symlinkSync(join('..data', 'config.yaml'), join(dir, 'config.yaml'));
  return {
    dir,
    file: join(dir, 'config.yaml'),
    swap(content: string) {
      const previous = current;
      current = writeGeneration(content);
      symlinkSync(current, join(dir, '..data_tmp'));
      renameSync(join(dir, '..data_tmp'), join(dir, '..data'));
      rmSync(join(dir, previous), { recursive: true });
    },
  };
}

describe('ConfigFileWatcher', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const step of cleanup.splice(0)) step();
  });

  it('follows an atomic symlink swap of a Kubernetes ConfigMap volume', async () => {
    const volume = configMapVolume();
    let changes = 0;
    let changed!: () => void;
    const firstChange = new Promise<void>((resolve) => (changed = resolve));
    const watcher = new ConfigFileWatcher(volume.file, 10, () => {
      changes++;
      changed();
    }, (error) => {
      throw error;
    });
    watcher.start();
    cleanup.push(() => watcher.close(), () => rmSync(volume.dir, { recursive: true, force: true }));
    volume.swap('listen_addr: "127.0.0.1:1"\n');
    await firstChange;
    expect(changes).toBe(1);
  });

  it('still reports a file written in place and one renamed over it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'prox-watch-'));
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'a: 1\n');
    let changed!: () => void;
    let next = new Promise<void>((resolve) => (changed = resolve));
    const watcher = new ConfigFileWatcher(file, 10, () => changed(), (error) => {
      throw error;
    });
    watcher.start();
    cleanup.push(() => watcher.close(), () => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(file, 'a: 2\n');
    await next;
    next = new Promise<void>((resolve) => (changed = resolve));
    writeFileSync(join(dir, 'config.yaml.tmp'), 'a: 3\n');
    renameSync(join(dir, 'config.yaml.tmp'), file);
    await next;
  });
});
