import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfigFile, resolveConfigPath } from '../../src/config/loader';

describe('resolveConfigPath', () => {
  it('prefers the CLI flag, then PROX_CONFIG, then config.yaml', () => {
    expect(resolveConfigPath('cli.yaml', { PROX_CONFIG: 'env.yaml' })).toBe('cli.yaml');
    expect(resolveConfigPath(undefined, { PROX_CONFIG: 'env.yaml' })).toBe('env.yaml');
    expect(resolveConfigPath(undefined, {})).toBe('config.yaml');
  });

  it('treats empty values as unset', () => {
    expect(resolveConfigPath('', { PROX_CONFIG: '' })).toBe('config.yaml');
  });
});

describe('loadConfigFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'prox-config-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports a missing file as unreadable, without a position', async () => {
    const file = path.join(dir, 'absent.yaml');
    const result = await loadConfigFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.unreadable).toBe(true);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatchObject({ file, line: 0, col: 0, path: '' });
    expect(result.errors[0]!.message).toMatch(/no such file/);
    expect(result.errors[0]!.hint).toMatch(/PROX_CONFIG/);
  });

  it('reports a directory as unreadable', async () => {
    const result = await loadConfigFile(dir);
    expect(result.ok || result.unreadable).toBe(true);
    if (!result.ok) expect(result.errors[0]!.message).toMatch(/directory/);
  });

  it('loads a file and names it in diagnostics', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'listen_addr: "127.0.0.1:3000"\nroutes:\n  /: {type: proxy, target: nope}\n');
    const result = await loadConfigFile(file);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.unreadable).toBe(false);
    expect(result.errors).toEqual([
      expect.objectContaining({ file, line: 3, col: 28, path: '/routes/~1/target' }),
    ]);
  });
});
