import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfigFile, loadConfigText } from '../../src/config/loader';
import type { StaticRoute } from '../../src/config/model';
import { errorsOf, HEADER, loadValid, yaml } from './support';

const staticRoute = (...fields: string[]) => yaml(...HEADER, '  /files:', '    type: static', ...fields);

describe('static route config', () => {
  it('takes every field, an index list and a literal fallback', () => {
    const config = loadValid(
      staticRoute(
        '    root: ./static',
        '    index: [index.html, index.htm]',
        '    fallback: /index.html',
        '    allow_dotfiles: true',
        '    precompressed: true',
        '    cache_control: "public, max-age=60"',
      ),
    );
    expect(config.routes[0] as StaticRoute).toMatchObject({
      root: path.resolve('static'),
      index: ['index.html', 'index.htm'],
      fallback: '/index.html',
      allowDotfiles: true,
      precompressed: true,
      cacheControl: 'public, max-age=60',
    });
  });

  it('accepts a single index name', () => {
    const config = loadValid(staticRoute('    root: ./static', '    index: default.htm'));
    expect((config.routes[0] as StaticRoute).index).toEqual(['default.htm']);
  });

  it('resolves a relative root against the config file directory, not the working directory', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'prox-static-config-'));
    mkdirSync(path.join(dir, 'site'));
    const file = path.join(dir, 'prox.yaml');
    writeFileSync(file, staticRoute('    root: site'));
    const result = await loadConfigFile(file);
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('\n'));
    expect((result.config.routes[0] as StaticRoute).root).toBe(path.join(dir, 'site'));
  });

  it('refuses a root that does not exist, at its line, with a hint', () => {
    const errors = errorsOf(staticRoute('    root: ./no-such-directory'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 5, col: 11, path: '/routes/~1files/root' });
    expect(errors[0]!.message).toBe(`static root "./no-such-directory" (${path.resolve('no-such-directory')}) does not exist`);
    expect(errors[0]!.hint).toMatch(/resolved against the config file's directory/);
  });

  it('refuses a root that is a file', () => {
    const errors = errorsOf(staticRoute('    root: ./package.json'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 5, path: '/routes/~1files/root' });
    expect(errors[0]!.message).toMatch(/is not a directory$/);
  });

  it('reports a missing root even when another check fails too', () => {
    const result = loadConfigText(staticRoute('    root: ./nope', '    targets: ["http://a"]'), 'test.yaml');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path).sort()).toEqual(['/routes/~1files/root', '/routes/~1files/targets']);
  });

  it.each([
    ['a . segment', '/./index.html', /contains a "." or ".." segment/],
    ['a .. segment', '/../secret.txt', /contains a "." or ".." segment/],
    ['a dotfile while dotfiles are off', '/.hidden/index.html', /is a dotfile/],
  ])('refuses a fallback with %s', (_name, fallback, message) => {
    const errors = errorsOf(staticRoute('    root: ./static', `    fallback: "${fallback}"`));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line: 6, path: '/routes/~1files/fallback' });
    expect(errors[0]!.message).toMatch(message);
  });

  it.each(['index.html', '/', 'dir/'])('refuses fallback "%s" that is not a file path from the root', (fallback) => {
    const errors = errorsOf(staticRoute('    root: ./static', `    fallback: "${fallback}"`));
    expect(errors.map((e) => e.path)).toEqual(['/routes/~1files/fallback']);
  });

  it.each(['..', '.', 'a/b.html', 'a\\\\b'])('refuses index name "%s"', (name) => {
    const errors = errorsOf(staticRoute('    root: ./static', `    index: "${name}"`));
    expect(errors.map((e) => e.path)).toEqual(['/routes/~1files/index']);
  });

  it('refuses a cache_control value with a line break', () => {
    const errors = errorsOf(staticRoute('    root: ./static', '    cache_control: "max-age=1\\r\\nx-evil: 1"'));
    expect(errors.map((e) => e.path)).toEqual(['/routes/~1files/cache_control']);
  });

  it.each([
    ['index', 'index.html'],
    ['fallback', '/index.html'],
    ['allow_dotfiles', 'true'],
    ['precompressed', 'true'],
    ['cache_control', 'no-cache'],
  ])('refuses %s on other route types', (field, value) => {
    for (const type of ['    type: proxy\n    target: "http://a"', '    type: load_balance\n    targets: ["http://a"]', '    type: redirect\n    target: /x']) {
      const errors = errorsOf(yaml(...HEADER, '  /r:', type, `    ${field}: ${value}`));
      expect(errors.map((e) => [e.path, e.message])).toEqual([[`/routes/~1r/${field}`, expect.stringMatching(/does not apply to/)]]);
    }
  });

  it('no longer warns that static routes are inactive', () => {
    const result = loadConfigText(staticRoute('    root: ./static'), 'test.yaml');
    expect(result.warnings).toEqual([]);
  });
});
