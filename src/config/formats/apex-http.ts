import { isRecord, type Conversion, type ForeignFormat, type MappingNote } from './foreign-format';

/** Apex's strategies that prox has under another name; the rest are the same. */
const STRATEGIES: Readonly<Record<string, string>> = { round_robin: 'round_robin', least_connections: 'least_connections', random: 'random' };

/**
 * Apex HTTP (`apex.toml`): `[server] listen, workers, timeout_secs, access_log` and `[[routes]]`
 * with `name, host, path_prefix, strip_prefix, load_balancing, backends = [{ url }]`.
 * Defaults as Apex documents them: listen 0.0.0.0:8080, timeout 30 s, access log on, host `*`,
 * path_prefix `/`, round_robin.
 */
export const apexHttp: ForeignFormat = {
  id: 'apex-http',
  title: 'Apex HTTP (TOML)',
  syntax: 'toml',
  recognises: (doc) => Array.isArray(doc['routes']) && doc['routes'].some((r) => isRecord(r) && Array.isArray(r['backends'])),
  toProx(doc): Conversion {
    const notes: MappingNote[] = [];
    const server = isRecord(doc['server']) ? doc['server'] : {};
    const timeout = typeof server['timeout_secs'] === 'number' ? server['timeout_secs'] : 30;
    const config: Record<string, unknown> = { listen_addr: typeof server['listen'] === 'string' ? server['listen'] : '0.0.0.0:8080' };
    if (server['access_log'] !== false) config['access_log'] = { enabled: true, format: 'json' };
    if (server['workers'] !== undefined) {
      notes.push({ at: [], message: `Apex workers = ${String(server['workers'])} are threads of one process; prox runs one process (set workers: N for N processes)` });
    }
    const routes: Record<string, unknown> = {};
    const routeIndexes = new Map<string, number>();
    for (const [index, entry] of (doc['routes'] as unknown[]).entries()) {
      if (!isRecord(entry)) continue;
      const host = typeof entry['host'] === 'string' && entry['host'] !== '*' ? entry['host'] : '';
      const prefix = typeof entry['path_prefix'] === 'string' ? entry['path_prefix'] : '/';
      const key = host + (prefix.startsWith('/') ? prefix : `/${prefix}`);
      if (key in routes) {
        notes.push({ at: ['routes', key], message: `Apex route #${index + 1} has the same host and prefix as an earlier one and is left out` });
        continue;
      }
      const backends = Array.isArray(entry['backends']) ? entry['backends'].map((b) => (isRecord(b) ? b['url'] : b)) : [];
      const route: Record<string, unknown> =
        backends.length === 1 ? { type: 'proxy', target: backends[0] } : { type: 'load_balance', targets: backends, strategy: strategyOf(entry['load_balancing'], key, notes) };
      if (entry['strip_prefix'] === true && prefix !== '/') route['strip_prefix'] = true;
      route['timeout_secs'] = timeout;
      if (typeof entry['name'] === 'string') notes.push({ at: ['routes', key], message: `Apex route "${entry['name']}": prox names routes by host and prefix` });
      routes[key] = route;
      routeIndexes.set(key, index);
    }
    config['routes'] = routes;
    return { config, notes, sourcePath: (path) => apexHttpSourcePath(path, routeIndexes) };
  },
};

/** Where a path of the converted config was written in the apex.toml (see Conversion.sourcePath). */
function apexHttpSourcePath(path: readonly string[], routeIndexes: ReadonlyMap<string, number>): readonly string[] {
  const [top, key, field, index] = path;
  if (top === 'listen_addr') return ['server', 'listen'];
  if (top === 'access_log') return ['server', 'access_log'];
  if (top !== 'routes' || key === undefined) return top === undefined ? [] : [top];
  const route = routeIndexes.get(key);
  if (route === undefined) return ['routes'];
  const at = ['routes', String(route)];
  switch (field) {
    case 'target':
      return [...at, 'backends', '0', 'url'];
    case 'targets':
      return index === undefined ? [...at, 'backends'] : [...at, 'backends', index, 'url'];
    case 'strategy':
      return [...at, 'load_balancing'];
    case 'strip_prefix':
      return [...at, 'strip_prefix'];
    case 'timeout_secs':
      return ['server', 'timeout_secs'];
    default:
      return at;
  }
}

function strategyOf(value: unknown, key: string, notes: MappingNote[]): string {
  if (value === undefined) return 'round_robin';
  const strategy = typeof value === 'string' ? STRATEGIES[value] : undefined;
  if (strategy !== undefined) return strategy;
  notes.push({ at: ['routes', key, 'strategy'], message: `Apex load_balancing "${String(value)}" is unknown; prox uses round_robin` });
  return 'round_robin';
}
