import { redact } from '../../src/app/admin-endpoints';
import { errorsOf, loadValid, yaml } from './support';

const ROUTES = ['routes:', '  /api:', '    type: proxy', '    target: "http://backend:8080"'];

describe('rate_limit_store', () => {
  it('is absent by default: counters stay in each process', () => {
    expect(loadValid(yaml('listen_addr: "127.0.0.1:3000"', ...ROUTES)).rateLimitStore).toBeNull();
  });

  it('fills the defaults of a redis store', () => {
    const config = loadValid(yaml('listen_addr: "127.0.0.1:3000"', 'rate_limit_store:', '  type: redis', '  url: "redis://127.0.0.1:6379/0"', ...ROUTES));
    expect(config.rateLimitStore).toEqual({ type: 'redis', url: 'redis://127.0.0.1:6379/0', keyPrefix: 'prox:rl:', timeoutMs: 50, onError: 'allow' });
  });

  it('keeps explicit values', () => {
    const config = loadValid(
      yaml(
        'listen_addr: "127.0.0.1:3000"',
        'rate_limit_store:',
        '  type: redis',
        '  url: "rediss://prox:secret@redis.internal:6380/2"',
        '  key_prefix: "edge:"',
        '  timeout_ms: 20',
        '  on_error: local',
        ...ROUTES,
      ),
    );
    expect(config.rateLimitStore).toEqual({ type: 'redis', url: 'rediss://prox:secret@redis.internal:6380/2', keyPrefix: 'edge:', timeoutMs: 20, onError: 'local' });
  });

  it.each([
    ['an unknown type', ['  type: memcached', '  url: "redis://127.0.0.1:6379"'], 'rate_limit_store/type'],
    ['a URL of another scheme', ['  type: redis', '  url: "http://127.0.0.1:6379"'], 'rate_limit_store/url'],
    ['a missing URL', ['  type: redis'], 'rate_limit_store'],
    ['a zero timeout', ['  type: redis', '  url: "redis://127.0.0.1:6379"', '  timeout_ms: 0'], 'rate_limit_store/timeout_ms'],
    ['an unknown on_error', ['  type: redis', '  url: "redis://127.0.0.1:6379"', '  on_error: retry'], 'rate_limit_store/on_error'],
  ])('rejects %s with its YAML line', (_name, block, path) => {
    const errors = errorsOf(yaml('listen_addr: "127.0.0.1:3000"', 'rate_limit_store:', ...block, ...ROUTES));
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0].path).toBe('/' + path);
    expect(errors[0].line).toBeGreaterThanOrEqual(2);
    expect(errors[0].line).toBeLessThanOrEqual(2 + block.length);
  });

  it('never shows the password of the URL in /config', () => {
    const config = loadValid(yaml('listen_addr: "127.0.0.1:3000"', 'rate_limit_store:', '  type: redis', '  url: "redis://prox:hunter2@10.0.0.9:6379/0"', ...ROUTES));
    const shown = JSON.stringify(redact(config));
    expect(shown).not.toContain('hunter2');
    expect(shown).toContain('redis://prox:[redacted]@10.0.0.9:6379/0');
  });
});
