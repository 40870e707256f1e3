import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trustPredicateFor } from '../../../src/adapters/system/proxy-addr-trust';
import { explainRequest, type Explanation, type ForwardExplanation } from '../../../src/app/tools/explain';
import { formatExplanation } from '../../../src/app/tools/explain-report';
import { loadConfigText } from '../../../src/config/loader';
import type { ProxConfig } from '../../../src/config/model';

const STATIC_ROOT = mkdtempSync(join(tmpdir(), 'prox-explain-'));

const CONFIG = `listen_addr: "127.0.0.1:8080"
trusted_proxies: ["10.9.0.0/16"]
errors:
  502: { type: text, body: "upstream down" }
routes:
  "/api":
    type: load_balance
    targets: ["http://10.0.0.1:8080", "http://10.0.0.2:8080", "http://10.0.0.3:8080"]
    strategy: consistent_hash
    hash_key: { by: header, name: X-User }
    path_rewrite: "/v2"
    request_headers:
      add: { X-Real-IP: "{client_ip}", X-Route: "{route}" }
      remove: ["User-Agent"]
    response_headers:
      add: { Server: "Prox" }
    rate_limit: { by: header, header_name: X-Api-Key, requests: 5, period: "1m" }
  "/api/v1": { type: proxy, target: "http://10.0.0.4:8080/base" }
  "api.example.com/api": { type: proxy, target: "http://10.0.0.5:8080" }
  "*.example.com/api": { type: proxy, target: "http://10.0.0.6:8080" }
  "/old": { type: redirect, target: "https://example.com/new", status_code: 301 }
  "/files": { type: static, root: "${STATIC_ROOT}" }
`;

function config(text = CONFIG): ProxConfig {
  const loaded = loadConfigText(text, '/etc/prox/config.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

function explain(url: string, headers: string[] = [], clientIp = '127.0.0.1', cfg = config()): Explanation {
  return explainRequest(cfg, { method: 'GET', url, headers, clientIp }, trustPredicateFor, 1_700_000_000_000);
}

function forward(e: Explanation): ForwardExplanation {
  if (e.action?.kind !== 'forward') throw new Error(`expected a forward, got ${e.action?.kind}`);
  return e.action;
}

describe('prox explain', () => {
  it('names the route, the rewrite, the upstream URL with its query and the header edits with placeholders filled', () => {
    const e = explain('http://x.com/api/users?q=1', ['User-Agent: curl', 'X-Forwarded-For: 1.2.3.4'], '10.9.0.7');
    expect(e.route).toEqual({ key: '/api', type: 'load_balance' });
    const f = forward(e);
    expect(f.pathAfterRewrite).toBe('/v2/users');
    expect(f.upstreamUrl).toMatch(/^http:\/\/10\.0\.0\.\d:8080\/v2\/users\?q=1$/);
    expect(f.upstreamHeaders.added).toEqual(expect.arrayContaining([{ name: 'x-real-ip', value: '1.2.3.4' }, { name: 'x-route', value: '/api' }]));
    expect(f.upstreamHeaders.removed).toEqual(expect.arrayContaining([{ name: 'user-agent', value: 'curl' }]));
    expect(f.clientHeaders.added).toEqual(expect.arrayContaining([{ name: 'server', value: 'Prox' }]));
    expect(f.errorPage502).toEqual({ contentType: 'text/plain; charset=utf-8', body: 'upstream down', configured: true });
  });

  it('maps a consistent-hash key to one backend, the same one every time, and says when the key is missing', () => {
    const first = forward(explain('http://x.com/api/a', ['X-User: alice']));
    for (let i = 0; i < 5; i++) expect(forward(explain('http://x.com/api/b', ['X-User: alice'])).backend).toBe(first.backend);
    expect(first.hashKey).toBe('alice');
    const backends = new Set(['u1', 'u2', 'u3', 'u4', 'u5', 'u6', 'u7', 'u8'].map((u) => forward(explain('http://x.com/api', [`X-User: ${u}`])).backend));
    expect(backends.size).toBeGreaterThan(1);
    expect(forward(explain('http://x.com/api')).backendReason).toMatch(/no hash key/);
  });

  it('lists the routes that also matched and why they lost', () => {
    const exact = explain('http://api.example.com/api/v1/x');
    expect(exact.route?.key).toBe('api.example.com/api');
    expect(exact.alsoMatched).toEqual(
      expect.arrayContaining([
        { key: '*.example.com/api', reason: 'exact host "api.example.com" beats wildcard "*.example.com"' },
        { key: '/api/v1', reason: 'exact host "api.example.com" beats host-less routes' },
      ]),
    );
    const hostless = explain('http://x.com/api/v1/x');
    expect(hostless.route?.key).toBe('/api/v1');
    expect(hostless.alsoMatched).toEqual([{ key: '/api', reason: 'longer prefix "/api/v1" beats "/api"' }]);
    expect(forward(hostless).upstreamUrl).toBe('http://10.0.0.4:8080/base/api/v1/x');
  });

  it('routes on the path with dot segments removed, as the server does', () => {
    const e = explain('http://x.com/api/../old');
    expect(e.routingPath).toBe('/old');
    expect(e.action).toEqual({ kind: 'redirect', status: 301, location: 'https://example.com/new' });
  });

  it('reports the rate-limit key, and what happens without one', () => {
    expect(explain('http://x.com/api', ['X-Api-Key: k1']).rateLimit).toMatchObject({ key: 'k1', mode: 'enforce' });
    expect(explain('http://x.com/api').rateLimit).toMatchObject({ key: null, missingKey: expect.stringMatching(/served without limit/) });
  });

  it('shows the static file path, and refuses traversal and dotfiles like the server', () => {
    expect(explain('http://x.com/files/css/site.css').action).toEqual({ kind: 'static', root: STATIC_ROOT, file: `${STATIC_ROOT}/css/site.css`, refusal: null });
    expect(explain('http://x.com/files/.env').action).toMatchObject({ refusal: 'dotfile (404)' });
    expect(explain('http://x.com/files/%2e%2e%2fetc/passwd').action).toMatchObject({ refusal: 'hidden_separator (404)' });
  });

  it('says when no route matches, and the text form names each step', () => {
    const none = explain('http://x.com/nothing');
    expect(none.matched).toBe(false);
    expect(formatExplanation(none)).toContain('no route matches host "x.com" and path "/nothing"');
    const text = formatExplanation(explain('http://x.com/api/users', ['X-User: bob']));
    expect(text).toContain('1. route "/api" (load_balance)');
    expect(text).toContain('path after rewrite: /v2/users');
    expect(text).toContain('hash of key "bob"');
  });
});
