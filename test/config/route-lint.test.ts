import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustPredicateFor } from '../../src/adapters/system/proxy-addr-trust';
import { loadConfigText } from '../../src/config/loader';
import type { Diagnostic } from '../../src/config/model';

const dir = mkdtempSync(join(tmpdir(), 'prox-lint-'));
const configFile = join(dir, 'config.yaml');
const site = join(dir, 'site');
mkdirSync(site);

function lint(yaml: string): readonly Diagnostic[] {
  const result = loadConfigText(`listen_addr: "127.0.0.1:8080"\n${yaml}`, configFile, { lint: true });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.warnings;
}

function only(yaml: string): Diagnostic {
  const warnings = lint(yaml);
  expect(warnings).toHaveLength(1);
  return warnings[0]!;
}

describe('route lint', () => {
  it('is silent on a sound config, and off unless asked for', () => {
    const sound = `health_check: { enabled: true }
routes:
  "/api": { type: load_balance, targets: ["http://10.0.0.1", "http://10.0.0.2"], path_rewrite: "/v2" }
  "/old": { type: redirect, target: "/api" }
  "/site": { type: static, root: "${site}" }
`;
    expect(lint(sound)).toEqual([]);
    const loaded = loadConfigText(`listen_addr: "127.0.0.1:8080"\nroutes:\n  "/s": { type: static, root: "/" }\n`, configFile);
    expect(loaded.warnings).toEqual([]);
  });

  it('finds routes that can never match, at the route key line', () => {
    expect(only('routes:\n  "/": { type: proxy, target: "http://a" }\n  "/a/../b": { type: proxy, target: "http://a" }\n')).toMatchObject({ line: 4, message: expect.stringMatching(/"\/a\/\.\.\/b" never matches/) });
    expect(only('routes:\n  "/café": { type: proxy, target: "http://a" }\n').hint).toContain('/caf%C3%A9');
  });

  it('warns about a backend URL whose query prox drops', () => {
    expect(only('routes:\n  "/": { type: proxy, target: "http://a/base?key=1" }\n')).toMatchObject({ line: 3, message: expect.stringContaining('query or fragment') });
  });

  it('accepts trusted_proxies 0.0.0.0/0 and ::/0 with a warning each, and trusts every address with them', () => {
    const warnings = lint('trusted_proxies: ["0.0.0.0/0", "::/0"]\nroutes:\n  "/": { type: proxy, target: "http://a" }\n');
    expect(warnings.map((w) => [w.line, w.path])).toEqual([
      [2, '/trusted_proxies/0'],
      [2, '/trusted_proxies/1'],
    ]);
    const trusted = trustPredicateFor(['0.0.0.0/0', '::/0']);
    expect(['1.2.3.4', '255.255.255.255', '::1', 'ffff::1'].every(trusted)).toBe(true);
  });

  it('warns about an admin listener off loopback', () => {
    expect(only('admin: { listen_addr: "0.0.0.0:9901", token: "0123456789abcdef01234567" }\nroutes:\n  "/": { type: proxy, target: "http://a" }\n')).toMatchObject({ line: 2, path: '/admin/listen_addr' });
  });

  it('warns about a static root of / and one holding the config file', () => {
    expect(only('routes:\n  "/": { type: static, root: "/" }\n').message).toContain('whole filesystem');
    expect(only(`routes:\n  "/": { type: static, root: "${dir}" }\n`).message).toContain('holding the config file');
  });

  it('warns about a rate limit by header without a fallback, not with on_missing_key: deny', () => {
    const limit = (extra: string): string => `routes:\n  "/":\n    type: proxy\n    target: "http://a"\n    rate_limit: { by: header, header_name: X-Key, requests: 5, period: 1m${extra} }\n`;
    expect(only(limit(''))).toMatchObject({ line: 6, message: expect.stringContaining('without a fallback') });
    expect(lint(limit(', on_missing_key: deny'))).toEqual([]);
  });

  it('warns about load balancing without health checks, and a timeout under the health timeout', () => {
    expect(only('routes:\n  "/": { type: load_balance, targets: ["http://a", "http://b"] }\n').message).toContain('active health checks off');
    const shortTimeout = only('health_check: { enabled: true, timeout_secs: 5 }\nroutes:\n  "/":\n    type: proxy\n    target: "http://a"\n    timeout_secs: 2\n');
    expect(shortTimeout).toMatchObject({ line: 7, path: '/routes/~1/timeout_secs' });
  });

  it('finds redirect loops, a route redirecting to itself included', () => {
    const loop = lint('routes:\n  "/a": { type: redirect, target: "/b" }\n  "/b": { type: redirect, target: "/a?x=1" }\n  "/c": { type: redirect, target: "/b" }\n');
    expect(loop.map((w) => w.message)).toEqual(['redirect loop: "/a" -> "/b" -> "/a"', 'redirect loop: "/b" -> "/a" -> "/b"']);
    expect(only('routes:\n  "/": { type: redirect, target: "/x" }\n').message).toBe('redirect loop: "/" -> "/"');
    expect(lint('routes:\n  "example.com/": { type: redirect, target: "https://www.example.com/" }\n  "www.example.com/": { type: proxy, target: "http://a" }\n')).toEqual([]);
  });
});
