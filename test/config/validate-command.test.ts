import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runValidate } from '../../src/cli/validate-command';
import { makeTestCa } from '../support/certificates';

interface Captured {
  out: string[];
  err: string[];
}

function capture(env: NodeJS.ProcessEnv = {}): Captured & { io: Parameters<typeof runValidate>[1] } {
  const captured: Captured = { out: [], err: [] };
  return {
    ...captured,
    io: { out: (s) => captured.out.push(s), err: (s) => captured.err.push(s), env },
  };
}

describe('prox validate', () => {
  let dir: string;
  let valid: string;
  let invalid: string;
  const readme = path.join(__dirname, '..', 'fixtures', 'config', 'prox-readme-example.yaml');

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'prox-validate-'));
    valid = path.join(dir, 'valid.yaml');
    invalid = path.join(dir, 'invalid.yaml');
    writeFileSync(
      valid,
      ['listen_addr: "[::1]:8080"', 'routes:', '  /api: {type: proxy, target: "http://a"}', '  /old: {type: redirect, target: /new}', ''].join('\n'),
    );
    writeFileSync(
      invalid,
      ['listen_addr: "127.0.0.1:3000"', 'routes:', '  /api:', '    type: proxy', '    tagret: "http://a"', 'protocols: {http3_enabled: true}', ''].join('\n'),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('exits 0 for a valid config and summarises it', async () => {
    const c = capture();
    expect(await runValidate({ config: valid, format: 'text' }, c.io)).toBe(0);
    const text = c.out.join('\n');
    expect(text).toContain(`${valid}: valid`);
    expect(text).toContain('listen address: [::1]:8080');
    expect(text).toContain('routes: 2 (proxy 1, redirect 1)');
    expect(c.err).toEqual([]);
  });

  it('exits 0 for the README example (ACME variant): every field active, one route lint warning', async () => {
    const c = capture();
    expect(await runValidate({ config: readme, format: 'text' }, c.io)).toBe(0);
    const text = c.out.join('\n');
    // Its /api/v1 limit by X-API-Key lets a client without the header through: route lint says so.
    expect(text.match(/ warning /g)).toHaveLength(1);
    expect(text).toContain('rate limit by header "x-api-key" without a fallback');
    expect(text).toContain(`${readme}: valid`);
    expect(text).toContain('routes: 6 (proxy 2, load_balance 1, redirect 2, static 1)');
  });

  it('exits 1 for an invalid config, listing errors with hints and a count', async () => {
    const c = capture();
    expect(await runValidate({ config: invalid, format: 'text' }, c.io)).toBe(1);
    const lines = c.out.join('\n').split('\n');
    expect(lines).toContain(`${invalid}:3:3  error  routes["/api"]  "proxy" routes need "target"`);
    expect(lines).toContain(`${invalid}:5:5  error  routes["/api"].tagret  unknown field "tagret"`);
    expect(lines).toContain('    hint: did you mean "target"?');
    expect(lines).toContain(`${invalid}:6:13  warning  protocols.http3_enabled  "protocols.http3_enabled" is accepted but not active yet in prox 0.1: it has no effect`);
    expect(lines[lines.length - 1]).toBe(`${invalid}: invalid, 2 errors, 1 warning`);
  });

  it('exits 2 when the file cannot be read, reporting on stderr', async () => {
    const c = capture();
    const missing = path.join(dir, 'missing.yaml');
    expect(await runValidate({ config: missing, format: 'text' }, c.io)).toBe(2);
    expect(c.out).toEqual([]);
    expect(c.err.join('\n')).toContain(`${missing}  error  cannot read config file: no such file`);
  });

  it('reads PROX_CONFIG when no --config is given', async () => {
    const c = capture({ PROX_CONFIG: invalid });
    expect(await runValidate({ format: 'text' }, c.io)).toBe(1);
    expect(c.out.join('\n')).toContain(invalid);
  });

  it('prints one JSON object in json format', async () => {
    const c = capture();
    expect(await runValidate({ config: invalid, format: 'json' }, c.io)).toBe(1);
    expect(c.out).toHaveLength(1);
    const report = JSON.parse(c.out[0]!);
    expect(report).toEqual({
      valid: false,
      file: invalid,
      errors: [
        expect.objectContaining({ severity: 'error', line: 3, col: 3, path: '/routes/~1api', message: '"proxy" routes need "target"' }),
        expect.objectContaining({ severity: 'error', line: 5, col: 5, path: '/routes/~1api/tagret', hint: 'did you mean "target"?' }),
      ],
      warnings: [expect.objectContaining({ severity: 'warning', line: 6, path: '/protocols/http3_enabled' })],
      summary: { errorCount: 2, warningCount: 1, listenAddr: null, routes: null, certificates: null },
    });
  });

  it('summarises a valid config in json format', async () => {
    const c = capture();
    expect(await runValidate({ config: valid, format: 'json' }, c.io)).toBe(0);
    const report = JSON.parse(c.out[0]!);
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.summary).toEqual({
      engine: expect.objectContaining({ configured: 'auto', problem: null }),
      errorCount: 0,
      warningCount: 0,
      listenAddr: '[::1]:8080',
      routes: { total: 2, proxy: 1, load_balance: 0, redirect: 1, static: 0 },
      certificates: [],
    });
  });

  it('lists the names and expiry of each certificate, and warns with the date under 14 days (text and json)', async () => {
    const ca = makeTestCa();
    const later = ca.issue('later', ['a.test', '*.a.test']);
    const soon = ca.issue('soon', ['b.test'], { days: 3 });
    const file = path.join(dir, 'tls.yaml');
    writeFileSync(
      file,
      [
        'listen_addr: "127.0.0.1:8443"',
        `tls: { cert_path: "${later.certPath}", key_path: "${later.keyPath}", certificates: [{ cert_path: "${soon.certPath}", key_path: "${soon.keyPath}" }] }`,
        'routes:',
        '  /: {type: redirect, target: "https://example.com/x"}',
      ].join('\n'),
    );
    const json = capture();
    expect(await runValidate({ config: file, format: 'json' }, json.io)).toBe(0);
    const report = JSON.parse(json.out[0]!);
    expect(report.warnings).toEqual([
      expect.objectContaining({ path: '/tls/certificates/0/cert_path', message: expect.stringMatching(/\(b\.test\): certificate expires on \d{4}-\d\d-\d\dT.*, in [23] days \(under 14\)/) }),
    ]);
    expect(report.summary.certificates).toEqual([
      { certPath: later.certPath, names: ['a.test', '*.a.test'], notAfter: expect.stringMatching(/^\d{4}-/), daysLeft: expect.any(Number) },
      { certPath: soon.certPath, names: ['b.test'], notAfter: expect.stringMatching(/^\d{4}-/), daysLeft: expect.any(Number) },
    ]);
    expect(report.summary.certificates[0].daysLeft).toBeGreaterThanOrEqual(29);
    const text = capture();
    expect(await runValidate({ config: file, format: 'text' }, text.io)).toBe(0);
    expect(text.out[0]).toMatch(new RegExp(`^  certificate ${later.certPath}: a\\.test, \\*\\.a\\.test \\(expires \\d{4}-.*, in (29|30) days\\)$`, 'm'));
    expect(text.out[0]).toMatch(new RegExp(`^  certificate ${soon.certPath}: b\\.test \\(expires .*, in [23] days\\)$`, 'm'));
  });

  it('keeps json on stdout even when the file is unreadable', async () => {
    const c = capture();
    expect(await runValidate({ config: path.join(dir, 'nope.yaml'), format: 'json' }, c.io)).toBe(2);
    expect(c.err).toEqual([]);
    expect(JSON.parse(c.out[0]!)).toMatchObject({ valid: false, errors: [expect.objectContaining({ line: 0 })] });
  });

  it('prints no emoji', async () => {
    const c = capture();
    await runValidate({ config: readme, format: 'text' }, c.io);
    await runValidate({ config: invalid, format: 'text' }, c.io);
    expect(c.out.join('\n')).not.toMatch(/\p{Extended_Pictographic}/u);
  });
});
