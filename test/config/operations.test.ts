import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { loadConfigFile, loadConfigText } from '../../src/config/loader';
import type { Diagnostic } from '../../src/config/model';
import { errorsOf, FILE, HEADER, load, loadValid, yaml } from './support';

/** One route, then the given top-level lines from line 4 on. */
function withRoute(...lines: string[]): string {
  return yaml(...HEADER, '  /api: {type: proxy, target: "http://a"}', ...lines);
}

function brief(d: Diagnostic): string {
  return `${d.line}:${d.col} ${d.path} ${d.message}`;
}

function warningsOf(text: string): readonly Diagnostic[] {
  return load(text).warnings;
}

describe('admin', () => {
  it('defaults to an admin listener on 127.0.0.1:9901 and nothing on the public listener', () => {
    expect(loadValid(withRoute()).admin).toEqual({
      enabled: true,
      listenAddr: { host: '127.0.0.1', port: 9901 },
      publicPathPrefix: null,
      token: null,
    });
  });

  it('keeps explicit values, a public_path without its trailing /', () => {
    const config = loadValid(withRoute('admin:', '  enabled: false', '  listen_addr: "[::1]:9100"', '  public_path: /_prox/', '  token: test-token-0123456789abcdef'));
    expect(config.admin).toEqual({ enabled: false, listenAddr: { host: '::1', port: 9100 }, publicPathPrefix: '/_prox', token: 'test-token-0123456789abcdef' });
  });

  it('fills the rest of a partial block with defaults', () => {
    expect(loadValid(withRoute('admin: {listen_addr: "10.0.0.5:9000", token: test-token-0123456789abcdef}')).admin).toEqual({
      enabled: true,
      listenAddr: { host: '10.0.0.5', port: 9000 },
      publicPathPrefix: null,
      token: 'test-token-0123456789abcdef',
    });
    expect(loadValid(withRoute('admin: {enabled: false}')).admin.listenAddr).toEqual({ host: '127.0.0.1', port: 9901 });
  });

  it('takes public_path: null as off, without a warning', () => {
    const result = load(withRoute('admin: {public_path: null}'));
    expect(result.ok && result.config.admin.publicPathPrefix).toBeNull();
    expect(result.warnings).toEqual([]);
  });

  it('allows port 0, also when the main listener uses port 0 on the same host', () => {
    const config = loadValid(yaml('listen_addr: "127.0.0.1:0"', 'routes:', '  /: {type: proxy, target: "http://a"}', 'admin: {listen_addr: "127.0.0.1:0"}'));
    expect(config.admin.listenAddr).toEqual({ host: '127.0.0.1', port: 0 });
  });

  it('allows the main port on another address', () => {
    expect(loadValid(withRoute('admin: {listen_addr: "127.0.0.2:3000"}')).admin.listenAddr).toEqual({ host: '127.0.0.2', port: 3000 });
  });

  it.each([
    ['"127.0.0.1"', /invalid admin listen address: "127.0.0.1" has no port/, /IP:PORT/],
    ['"localhost:9901"', /invalid admin listen address: "localhost" is a host name/, /127\.0\.0\.1:9901/],
    ['"::1:9901"', /invalid admin listen address: IPv6 address in "::1:9901" must be in brackets/, /\[::1\]:9901/],
    ['"127.0.0.1:99999"', /invalid admin listen address: port "99999" is not a number from 0 to 65535/, /IP:PORT/],
  ])('refuses listen_addr %s like the main listen_addr', (written, message, hint) => {
    const errors = errorsOf(withRoute('admin:', `  listen_addr: ${written}`));
    expect(errors.map(brief)).toEqual([expect.stringMatching(new RegExp(`^5:16 /admin/listen_addr ${message.source}`))]);
    expect(errors[0]!.hint).toMatch(hint);
  });

  it('refuses the main listen_addr as the admin address, with a hint', () => {
    const errors = errorsOf(withRoute('admin:', '  listen_addr: "127.0.0.1:3000"'));
    expect(errors).toEqual([
      expect.objectContaining({
        file: FILE,
        line: 5,
        col: 16,
        path: '/admin/listen_addr',
        message: 'admin.listen_addr 127.0.0.1:3000 is the same address as listen_addr',
        hint: expect.stringMatching(/another port, e\.g\. "127\.0\.0\.1:9901", or set admin\.enabled: false/),
      }),
    ]);
  });

  it('compares IPv6 addresses in canonical form', () => {
    const text = yaml('listen_addr: "[::1]:8080"', 'routes:', '  /: {type: proxy, target: "http://a"}', 'admin: {listen_addr: "[0:0::1]:8080"}');
    expect(errorsOf(text).map((e) => e.message)).toEqual(['admin.listen_addr [0:0::1]:8080 is the same address as listen_addr']);
  });

  it('does not mind the main address when the admin listener is off', () => {
    expect(loadValid(withRoute('admin: {enabled: false, listen_addr: "127.0.0.1:3000"}')).admin.enabled).toBe(false);
  });

  it('does not warn at public_path when admin.token protects it', () => {
    const result = load(withRoute('admin:', '  public_path: /_prox', '  token: test-token-0123456789abcdef'));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([]);
  });

  it.each([
    ['/', /cannot be "\/"/, /"\/_prox"/],
    ['//', /cannot be "\/"/, /"\/_prox"/],
    ['/_prox/../x', /"\/_prox\/\.\.\/x" contains a "\." or "\.\." segment and can never match/, /dot segments/],
    ['/api', /"\/api" hides route "\/api"/, /no route uses/],
    ['/api/', /"\/api\/" hides route "\/api"/, /no route uses/],
  ])('refuses public_path %s', (written, message, hint) => {
    const errors = errorsOf(withRoute('admin:', `  public_path: "${written}"`, '  token: test-token-0123456789abcdef'));
    expect(errors.map(brief)).toEqual([expect.stringMatching(new RegExp(`^5:16 /admin/public_path admin\\.public_path ${message.source}`))]);
    expect(errors[0]!.hint).toMatch(hint);
  });

  it.each([['_prox'], ['/_prox?x'], ['/_ prox'], ['']])('refuses public_path "%s" that is not a path', (written) => {
    const errors = errorsOf(withRoute('admin:', `  public_path: "${written}"`, '  token: test-token-0123456789abcdef'));
    expect(errors.map(brief)).toEqual([`5:16 /admin/public_path "${written}" is not a valid public_path`]);
  });

  it('refuses a public_path that would hide routes below it or on a host, one error per route', () => {
    const text = yaml(
      ...HEADER,
      '  /: {type: proxy, target: "http://a"}',
      '  /_prox/x: {type: proxy, target: "http://a"}',
      '  shop.example.com/_prox: {type: redirect, target: /}',
      '  /_proxy: {type: proxy, target: "http://a"}',
      'admin: {public_path: /_prox, token: test-token-0123456789abcdef}',
    );
    expect(errorsOf(text).map((e) => e.message)).toEqual([
      'admin.public_path "/_prox" hides route "/_prox/x": the admin endpoints are answered before routes are matched, on every host',
      'admin.public_path "/_prox" hides route "shop.example.com/_prox": the admin endpoints are answered before routes are matched, on every host',
    ]);
  });

  it('accepts a public_path under a route (the admin endpoints take that part of it)', () => {
    const config = loadValid(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', '  /_proxy: {type: proxy, target: "http://a"}', 'admin: {public_path: /_prox, token: test-token-0123456789abcdef}'));
    expect(config.admin.publicPathPrefix).toBe('/_prox');
  });

  it('suggests the field for a typo inside the block', () => {
    const errors = errorsOf(withRoute('admin:', '  listen_adr: "127.0.0.1:9000"'));
    expect(errors.map(brief)).toEqual(['5:3 /admin/listen_adr unknown field "listen_adr"']);
    expect(errors[0]!.hint).toBe('did you mean "listen_addr"?');
  });
});

describe('access_log', () => {
  it('defaults to JSON lines on stdout', () => {
    expect(loadValid(withRoute()).accessLog).toEqual({ enabled: true, format: 'json', path: null });
  });

  it('keeps explicit values, resolving a relative path against the config file directory', () => {
    const text = withRoute('access_log:', '  enabled: false', '  format: combined', '  path: logs/access.log');
    const result = loadConfigText(text, '/etc/prox/config.yaml');
    expect(result.ok && result.config.accessLog).toEqual({ enabled: false, format: 'combined', path: '/etc/prox/logs/access.log' });
  });

  it('resolves a relative path against the working directory when the config file name is relative', () => {
    expect(loadValid(withRoute('access_log: {path: ./access.log}')).accessLog.path).toBe(path.resolve(path.dirname(path.resolve(FILE)), 'access.log'));
  });

  it('keeps an absolute path, and null as stdout', () => {
    expect(loadConfigText(withRoute('access_log: {path: /var/log/prox/access.log}'), '/etc/prox/config.yaml')).toMatchObject({
      ok: true,
      config: { accessLog: { enabled: true, format: 'json', path: '/var/log/prox/access.log' } },
    });
    expect(loadValid(withRoute('access_log: {path: null}')).accessLog.path).toBeNull();
  });

  it('resolves against the directory of the file actually loaded', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'prox-access-log-'));
    try {
      await mkdir(path.join(dir, 'conf'));
      const file = path.join(dir, 'conf', 'prox.yaml');
      await writeFile(file, withRoute('access_log: {path: ../log/access.log}'));
      const result = await loadConfigFile(file);
      expect(result.ok && result.config.accessLog.path).toBe(path.join(dir, 'log', 'access.log'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an unknown format, suggesting the closest one', () => {
    const errors = errorsOf(withRoute('access_log:', '  format: combine'));
    expect(errors.map(brief)).toEqual(['5:11 /access_log/format "combine" is not one of json, combined']);
    expect(errors[0]!.hint).toBe('did you mean "combined"?');
  });

  it('refuses an empty path and a non-boolean enabled', () => {
    expect(errorsOf(withRoute('access_log:', '  path: ""', '  enabled: "yes"')).map(brief)).toEqual([
      '5:9 /access_log/path must not be empty',
      expect.stringMatching(/^6:12 \/access_log\/enabled /),
    ]);
  });
});

describe('request_id_header', () => {
  it('defaults to x-request-id', () => {
    expect(loadValid(withRoute()).requestIdHeader).toBe('x-request-id');
  });

  it('is lower-cased', () => {
    expect(loadValid(withRoute('request_id_header: X-Correlation-ID')).requestIdHeader).toBe('x-correlation-id');
  });

  it.each([['x request id'], ['x-id:'], ['']])('refuses "%s", which is not a header name', (written) => {
    const errors = errorsOf(withRoute(`request_id_header: "${written}"`));
    expect(errors.map(brief)).toEqual([`4:20 /request_id_header "${written}" is not a valid request_id_header`]);
    expect(errors[0]!.hint).toMatch(/Header carrying the request id/);
  });

  it.each([['Host'], ['content-length'], ['Connection'], ['X-Forwarded-For'], ['cookie']])('refuses %s, which has a meaning of its own', (written) => {
    const errors = errorsOf(withRoute(`request_id_header: ${written}`));
    expect(errors.map(brief)).toEqual([`4:20 /request_id_header "${written}" cannot be the request id header: it already has a meaning of its own`]);
    expect(errors[0]!.hint).toMatch(/x-correlation-id/);
  });
});

describe('route access_log', () => {
  it('is on for every route type unless set to false', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /p: {type: proxy, target: "http://a"}',
        '  /p-off: {type: proxy, target: "http://a", access_log: false}',
        '  /lb-off: {type: load_balance, targets: ["http://a"], access_log: false}',
        '  /r-off: {type: redirect, target: /, access_log: false}',
        '  /s-off: {type: static, root: ./static, access_log: false}',
        '  /r-on: {type: redirect, target: /, access_log: true}',
      ),
    );
    expect(config.routes.map((r) => [r.key, r.accessLog])).toEqual([
      ['/p', true],
      ['/p-off', false],
      ['/lb-off', false],
      ['/r-off', false],
      ['/s-off', false],
      ['/r-on', true],
    ]);
  });

  it('must be a boolean', () => {
    const errors = errorsOf(yaml(...HEADER, '  /p:', '    type: proxy', '    target: "http://a"', '    access_log: off'));
    expect(errors.map(brief)).toEqual([expect.stringMatching(/^6:17 \/routes\/~1p\/access_log /)]);
  });
});

describe('admin.token', () => {
  const TOKEN = 'test-token-0123456789abcdef';

  it.each([['"0.0.0.0:9901"'], ['"10.0.0.5:9901"'], ['"[::]:9901"']])('refuses a non-loopback admin listen_addr %s without a token, at its line with a hint', (address) => {
    const errors = errorsOf(withRoute('admin:', `  listen_addr: ${address}`));
    expect(errors).toEqual([
      expect.objectContaining({
        line: 5,
        path: '/admin/listen_addr',
        message: expect.stringMatching(/is reachable beyond this host: the admin endpoints there need admin\.token/),
        hint: expect.stringMatching(/Authorization: Bearer <token>.*\/healthz and \/readyz stay open/),
      }),
    ]);
  });

  it('refuses public_path without a token: that error alone, no warning beside it', () => {
    const text = withRoute('admin:', '  public_path: /_prox');
    expect(errorsOf(text).map(brief)).toEqual(['5:16 /admin/public_path admin.public_path exposes the admin endpoints on the public listener: it needs admin.token']);
    expect(warningsOf(text)).toEqual([]);
  });

  it.each([['"127.0.0.1:9901"'], ['"127.3.2.1:9901"'], ['"[::1]:9901"'], ['"[0:0::1]:9901"'], ['"[::ffff:127.0.0.1]:9901"']])('leaves a loopback admin listener %s open', (address) => {
    expect(loadValid(withRoute('admin:', `  listen_addr: ${address}`)).admin.token).toBeNull();
  });

  it('does not ask for a token when the non-loopback listener is off', () => {
    expect(loadValid(withRoute('admin: {enabled: false, listen_addr: "0.0.0.0:9901"}')).admin.token).toBeNull();
  });

  it('accepts both with a token and keeps it', () => {
    const config = loadValid(withRoute('admin:', '  listen_addr: "0.0.0.0:9901"', '  public_path: /_prox', `  token: ${TOKEN}`));
    expect(config.admin).toMatchObject({ listenAddr: { host: '0.0.0.0', port: 9901 }, publicPathPrefix: '/_prox', token: TOKEN });
  });

  it.each([['short'], ['has space inside it 0123']])('refuses a token %j that is short or not printable ASCII', (token) => {
    const errors = errorsOf(withRoute('admin:', '  listen_addr: "0.0.0.0:9901"', `  token: "${token}"`));
    expect(errors.map((e) => e.path)).toContain('/admin/token');
  });
});

describe('all of them together', () => {
  it('loads without warnings when public_path is not used', () => {
    const text = withRoute(
      'admin: {listen_addr: "127.0.0.1:9100"}',
      'access_log: {format: combined, path: /var/log/prox/access.log}',
      'request_id_header: X-Trace-Id',
    );
    expect(warningsOf(text)).toEqual([]);
    expect(loadValid(text)).toMatchObject({
      admin: { enabled: true, listenAddr: { host: '127.0.0.1', port: 9100 }, publicPathPrefix: null, token: null },
      accessLog: { enabled: true, format: 'combined', path: '/var/log/prox/access.log' },
      requestIdHeader: 'x-trace-id',
    });
  });
});
