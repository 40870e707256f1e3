import { isRecord, type Conversion, type ForeignFormat, type MappingNote } from './foreign-format';

const ALGORITHMS: Readonly<Record<string, string>> = {
  'round-robin': 'round_robin',
  'weighted-round-robin': 'weighted_round_robin',
  'least-connections': 'least_connections',
};

const num = (value: unknown, fallback: number): number => (typeof value === 'number' ? value : fallback);

/**
 * ConnX (`config.yaml`): `server.port/host/shutdownTimeout`, `backends` with weights,
 * `loadBalancing.algorithm`, `healthCheck`, `circuitBreaker`, `rateLimit` (global or per IP).
 * One pool answers every path, so it becomes one load_balance route on `/`. Defaults as ConnX
 * documents them: 0.0.0.0:8080, 30 s shutdown, health every 30 s with 5 s timeout, circuit
 * breaker on (5 failures, 60 s), weight 1, round-robin.
 */
export const connx: ForeignFormat = {
  id: 'connx',
  title: 'ConnX (YAML)',
  syntax: 'yaml',
  recognises: (doc) => Array.isArray(doc['backends']) && !('routes' in doc),
  toProx(doc): Conversion {
    const notes: MappingNote[] = [];
    const server = isRecord(doc['server']) ? doc['server'] : {};
    const host = typeof server['host'] === 'string' ? server['host'] : '0.0.0.0';
    const config: Record<string, unknown> = {
      listen_addr: `${host.includes(':') ? `[${host}]` : host}:${num(server['port'], 8080)}`,
      shutdown_timeout_secs: num(server['shutdownTimeout'], 30),
    };
    const algorithm = isRecord(doc['loadBalancing']) ? doc['loadBalancing']['algorithm'] : undefined;
    let strategy = 'round_robin';
    if (typeof algorithm === 'string' && ALGORITHMS[algorithm] !== undefined) strategy = ALGORITHMS[algorithm];
    else if (algorithm !== undefined) notes.push({ at: ['routes', '/', 'strategy'], message: `ConnX algorithm "${String(algorithm)}" is unknown; prox uses round_robin` });
    // ConnX weighs backends only with weighted-round-robin; the others ignore weights, and so does prox.
    const weighted = strategy === 'weighted_round_robin';
    const targets = (doc['backends'] as unknown[]).map((b) => (isRecord(b) ? (weighted ? { url: b['url'], weight: num(b['weight'], 1) } : b['url']) : b));
    if (!weighted && (doc['backends'] as unknown[]).some((b) => isRecord(b) && num(b['weight'], 1) !== 1)) {
      notes.push({ at: ['routes', '/', 'targets'], message: `weights are ignored with ${String(algorithm ?? 'round-robin')}, as in ConnX (use weighted-round-robin)` });
    }
    const route: Record<string, unknown> = { type: 'load_balance', targets, strategy };

    const health = isRecord(doc['healthCheck']) ? doc['healthCheck'] : {};
    if (health['enabled'] !== false) {
      config['health_check'] = { enabled: true, interval_secs: num(health['interval'], 30), timeout_secs: num(health['timeout'], 5), path: '/' };
      notes.push({ at: ['health_check', 'path'], message: 'ConnX does not document its probe path; prox probes / (set path to your health endpoint)' });
    }
    const breaker = isRecord(doc['circuitBreaker']) ? doc['circuitBreaker'] : {};
    if (breaker['enabled'] !== false) {
      route['circuit_breaker'] = { max_failures: num(breaker['maxFailures'], 5), timeout_secs: num(breaker['timeout'], 60), half_open_successes: num(breaker['halfOpenSuccess'], 2) };
      if (breaker['resetTimeout'] !== undefined) notes.push({ at: ['routes', '/', 'circuit_breaker'], message: 'ConnX resetTimeout (time spent half-open) has no prox equivalent: half-open lasts until half_open_successes trials succeed or one fails' });
    }
    const limit = isRecord(doc['rateLimit']) ? doc['rateLimit'] : {};
    if (limit['enabled'] === true) {
      const perSecond = num(limit['requestsPerSec'], 100);
      route['rate_limit'] = { by: limit['perIP'] === true ? 'ip' : 'route', requests: perSecond, period: '1s', algorithm: 'token_bucket', burst: num(limit['burst'], perSecond) };
    }
    notes.push({ at: [], message: 'ConnX serves /metrics on the proxy port; prox serves it on the admin listener (127.0.0.1:9901/metrics)' });
    config['routes'] = { '/': route };
    return { config, notes };
  },
};
