import fc from 'fast-check';
import { loadConfigText } from '../../src/config';
import { bounded } from './seed';

/**
 * The config loader turns any text into a config or diagnostics: never an uncaught throw, and
 * never a failure without a message saying what is wrong.
 */
function expectDiagnosticsOrConfig(text: string): void {
  const result = loadConfigText(text, '/nonexistent-prox-property/config.yaml');
  if (!result.ok) {
    expect(result.errors.length).toBeGreaterThan(0);
    for (const error of result.errors) expect(error.message.length).toBeGreaterThan(0);
  }
}

const VALID = {
  listen_addr: '127.0.0.1:8080',
  limits: { max_body_bytes: 1024, header_timeout_secs: 5, max_connections_per_ip: 10 },
  routes: {
    '/api': { type: 'proxy', target: 'http://127.0.0.1:9000', path_rewrite: '/v1' },
    '/lb': { type: 'load_balance', targets: ['http://127.0.0.1:9001', 'http://127.0.0.1:9002'], strategy: 'ip_hash' },
    '/old': { type: 'redirect', target: 'https://example.com/new', status_code: 301 },
  },
};

/** Replaces the value at a random path of `base` with `value`. */
function mutate(base: unknown, path: readonly number[], value: unknown): unknown {
  if (path.length === 0 || base === null || typeof base !== 'object') return value;
  const entries = Object.entries(base as Record<string, unknown>);
  if (entries.length === 0) return value;
  const [key, child] = entries[path[0] % entries.length];
  const copy: Record<string, unknown> = Array.isArray(base) ? ([...base] as unknown as Record<string, unknown>) : { ...(base as Record<string, unknown>) };
  copy[key] = mutate(child, path.slice(1), value);
  return copy;
}

const yamlish = fc.string({
  maxLength: 200,
  unit: fc.constantFrom('routes:', 'limits:', '\n', '  ', ': ', '- ', '"', "'", '{', '}', '[', ']', '&a', '*a', '!!str', '#', 'type: proxy', 'target: ', 'http://x', '/', '1', 'null', '~', '\t', '<<: *a', '%', '\u0000'),
});

describe('config loader (properties)', () => {
  it('any text, YAML or not, gives a config or diagnostics', () => {
    fc.assert(fc.property(fc.oneof(fc.string({ maxLength: 200 }), yamlish), expectDiagnosticsOrConfig), bounded(500));
  });

  it('any JSON value (JSON is YAML) gives a config or diagnostics', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => expectDiagnosticsOrConfig(JSON.stringify(value))), bounded(300));
  });

  it('a valid config with any one value replaced gives a config or diagnostics', () => {
    expect(loadConfigText(JSON.stringify(VALID), '/nonexistent-prox-property/config.yaml').ok).toBe(true);
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 5 }), fc.jsonValue({ maxDepth: 2 }), (path, value) =>
        expectDiagnosticsOrConfig(JSON.stringify(mutate(VALID, path, value))),
      ),
      bounded(500),
    );
  });
});
