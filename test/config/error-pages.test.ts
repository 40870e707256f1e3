import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/loader';
import type { Diagnostic, ErrorPageSpec, ProxConfig } from '../../src/config/model';
import { MAX_ERROR_PAGE_BYTES } from '../../src/config/error-pages';
import { errorsOf, HEADER, loadValid, yaml } from './support';

function brief(d: Diagnostic): string {
  return `${d.line}:${d.col} ${d.path} ${d.message}`;
}

function pagesOf(config: ProxConfig, routeKey: string): readonly ErrorPageSpec[] {
  return config.routes.find((route) => route.key === routeKey)!.errorPages;
}

describe('errors (custom error pages)', () => {
  it('has no pages by default: every error is the built-in JSON', () => {
    const config = loadValid(yaml(...HEADER, '  /api: {type: proxy, target: "http://a"}'));
    expect(config.errorPages).toEqual([]);
    expect(pagesOf(config, '/api')).toEqual([]);
  });

  it('reads inline bodies of each type; a mapping body is sent as JSON; json is the default type', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /api: {type: proxy, target: "http://a"}',
        'errors:',
        '  404: {type: html, body: "<h1>Nothing here</h1>"}',
        '  502: {body: {error: upstream down, retry: true}}',
        '  503: {type: text, body: "try later"}',
        '  504: {body: "{\\"error\\": \\"slow\\"}"}',
      ),
    );
    expect(config.errorPages).toEqual([
      { status: 404, type: 'html', body: '<h1>Nothing here</h1>' },
      { status: 502, type: 'json', body: '{"error":"upstream down","retry":true}' },
      { status: 503, type: 'text', body: 'try later' },
      { status: 504, type: 'json', body: '{"error": "slow"}' },
    ]);
  });

  it('gives every route the top-level pages, with its own codes in their place', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /api:',
        '    type: proxy',
        '    target: "http://a"',
        '    errors:',
        '      502: {type: text, body: "api down"}',
        '      429: {type: text, body: "slow down"}',
        '  /web: {type: proxy, target: "http://b"}',
        'errors:',
        '  404: {type: text, body: "no such page"}',
        '  502: {type: text, body: "site down"}',
      ),
    );
    expect(pagesOf(config, '/api')).toEqual([
      { status: 404, type: 'text', body: 'no such page' },
      { status: 429, type: 'text', body: 'slow down' },
      { status: 502, type: 'text', body: 'api down' },
    ]);
    expect(pagesOf(config, '/web')).toEqual(config.errorPages);
  });

  it.each([
    ['neither body nor file', '  502: {type: text}', '5:3 /errors/502 error page 502 needs exactly one of body and file'],
    ['both body and file', '  502: {body: "x", file: "x.html"}', '5:3 /errors/502 error page 502 needs exactly one of body and file'],
    ['a json body that is not JSON', '  502: {body: "oops"}', '5:15 /errors/502/body error page 502 has type json but its body is not valid JSON'],
    ['a mapping body for html', '  502: {type: html, body: {a: 1}}', '5:27 /errors/502/body error page 502: a mapping or list body needs type json'],
  ])('rejects %s at its line', (_case, line, expected) => {
    const errors = errorsOf(yaml(...HEADER, '  /api: {type: proxy, target: "http://a"}', 'errors:', line));
    expect(errors.map(brief)).toEqual([expected]);
  });

  it('rejects status codes outside 400-599', () => {
    const errors = errorsOf(yaml(...HEADER, '  /api: {type: proxy, target: "http://a"}', 'errors:', '  200: {type: text, body: "ok"}'));
    expect(errors.map(brief)).toEqual(['5:3 /errors/200 "200" is not an error status']);
  });

  describe('with files', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'prox-error-pages-'));
    });
    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    async function loadFromDir(...lines: string[]) {
      const file = path.join(dir, 'prox.yaml');
      await writeFile(file, yaml(...HEADER, '  /api: {type: proxy, target: "http://a"}', ...lines));
      return loadConfigFile(file);
    }

    it('reads a file relative to the config file at load time', async () => {
      await writeFile(path.join(dir, 'down.html'), '<p>down</p>\n');
      const result = await loadFromDir('errors:', '  503: {type: html, file: down.html}');
      expect(result.ok && result.config.errorPages).toEqual([{ status: 503, type: 'html', body: '<p>down</p>\n' }]);
    });

    it('reports a missing file, a directory, an oversized file and a json file that is not JSON, each at its line', async () => {
      await writeFile(path.join(dir, 'big.html'), Buffer.alloc(MAX_ERROR_PAGE_BYTES + 1, 'a'));
      await writeFile(path.join(dir, 'bad.json'), 'not json');
      const result = await loadFromDir(
        'errors:',
        '  500: {type: html, file: missing.html}',
        '  502: {type: html, file: .}',
        '  503: {type: html, file: big.html}',
        '  504: {file: bad.json}',
      );
      expect(result.ok).toBe(false);
      const errors = result.ok ? [] : result.errors;
      expect(errors.map((e) => `${e.line} ${e.path}`)).toEqual(['5 /errors/500/file', '6 /errors/502/file', '7 /errors/503/file', '8 /errors/504/file']);
      expect(errors[0]!.message).toContain('no such file');
      expect(errors[1]!.message).toContain('not a regular file');
      expect(errors[2]!.message).toContain(`larger than ${MAX_ERROR_PAGE_BYTES} bytes`);
      expect(errors[3]!.message).toContain('is not valid JSON');
    });
  });
});
