import { trustPredicateFor } from '../../../src/adapters/system/proxy-addr-trust';
import { diffConfigs } from '../../../src/app/tools/config-diff';
import { formatDiff } from '../../../src/app/tools/diff-report';
import { loadConfigText } from '../../../src/config/loader';
import type { ProxConfig } from '../../../src/config/model';

function config(text: string): ProxConfig {
  const loaded = loadConfigText(text, '/etc/prox/config.yaml');
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

const BEFORE = `listen_addr: "127.0.0.1:8080"
protocols: { websocket_enabled: true }
routes:
  "/api": { type: load_balance, targets: ["http://10.0.0.1", "http://10.0.0.2"], strategy: round_robin }
  "/api/v1": { type: proxy, target: "http://10.0.0.3" }
  "/old": { type: redirect, target: "https://example.com/new" }
`;

const AFTER = `listen_addr: "127.0.0.1:8080"
protocols: { websocket_enabled: true }
workers: 4
routes:
  "/api": { type: load_balance, targets: ["http://10.0.0.1", "http://10.0.0.9"], strategy: least_connections }
  "/old": { type: redirect, target: "https://example.com/new" }
  "/new": { type: proxy, target: "http://10.0.0.7" }
`;

const diff = (a: string, b: string) => diffConfigs(config(a), config(b), trustPredicateFor, 1_700_000_000_000);

describe('prox diff', () => {
  it('finds nothing between a config and itself', () => {
    const same = diff(BEFORE, BEFORE);
    expect(same.changed).toBe(false);
    expect(formatDiff(same, 'a', 'b')).toBe('a -> b: no operational change');
  });

  it('lists routes added, removed and changed, with backends per pool and the fields named as in the YAML', () => {
    const d = diff(BEFORE, AFTER);
    expect(d.routesAdded).toEqual(['/new']);
    expect(d.routesRemoved).toEqual(['/api/v1']);
    expect(d.routesChanged).toEqual([{ key: '/api', fields: ['targets', 'strategy'], backendsAdded: ['http://10.0.0.9'], backendsRemoved: ['http://10.0.0.2'] }]);
  });

  it('explains a probe URL per route key under both configs and lists those that go elsewhere', () => {
    const d = diff(BEFORE, AFTER);
    expect(d.destinations).toEqual(
      expect.arrayContaining([
        { url: 'http://example.com/api/v1/probe', before: 'route "/api/v1" -> http://10.0.0.3/api/v1/probe', after: expect.stringMatching(/^route "\/api" -> least_connections over/) },
        { url: 'http://example.com/new/probe', before: 'no route (404)', after: 'route "/new" -> http://10.0.0.7/new/probe' },
      ]),
    );
    expect(d.destinations.map((c) => c.url)).not.toContain('http://example.com/old/probe');
  });

  it('says which settings a reload applies and which need a restart, and what happens to open WebSocket sessions', () => {
    const d = diff(BEFORE, AFTER);
    expect(d.settings).toEqual([{ setting: 'workers', before: 1, after: 4, appliesOn: 'restart' }]);
    expect(d.needsRestart).toBe(true);
    expect(d.openSessions).toEqual([
      'WebSocket sessions on removed route "/api/v1" are not closed: they continue on their backend until they end',
      'WebSocket sessions of route "/api" on removed backend http://10.0.0.2 are not closed: they continue until they end',
    ]);
    const moved = diff(BEFORE, BEFORE.replace('127.0.0.1:8080', '127.0.0.1:8081'));
    expect(moved.settings).toEqual([expect.objectContaining({ setting: 'listen_addr', appliesOn: 'reload' })]);
    expect(moved.needsRestart).toBe(false);
  });
});

describe('diffConfigs shows no secrets and no file contents', () => {
  it('redacts admin.token and backend passwords, and shows error pages by size and hash', () => {
    const before = `listen_addr: "127.0.0.1:8080"
admin: { token: old-token-0123456789abcdef }
routes:
  "/api": { type: proxy, target: "http://user:old-pass@10.0.0.1" }
`;
    const after = `listen_addr: "127.0.0.1:8080"
admin: { token: new-token-0123456789abcdef }
errors: { 502: { body: "private page text", type: text } }
routes:
  "/api": { type: proxy, target: "http://user:new-pass@10.0.0.1" }
`;
    const d = diff(before, after);
    const text = JSON.stringify(d);
    for (const secret of ['old-token', 'new-token', 'old-pass', 'new-pass', 'private page text']) expect(text).not.toContain(secret);
    expect(d.settings).toEqual([
      expect.objectContaining({ setting: 'admin', before: expect.objectContaining({ token: '[redacted]' }), after: expect.objectContaining({ token: '[redacted]' }) }),
      { setting: 'errors', before: [], after: [{ status: 502, type: 'text', body_bytes: 17, body_sha256: expect.stringMatching(/^[0-9a-f]{16}$/) }], appliesOn: 'reload' },
    ]);
    expect(d.routesChanged).toEqual([{ key: '/api', fields: ['error_pages', 'targets'], backendsAdded: ['http://user:[redacted]@10.0.0.1'], backendsRemoved: ['http://user:[redacted]@10.0.0.1'] }]);
  });
});
