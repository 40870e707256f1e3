import type { ProxyRoute } from '../../../src/config/model';
import { HEADER, loadValid, yaml } from '../../config/support';

/**
 * A proxy route `/api` → http://a:1 with the given YAML lines (indented under the route), loaded
 * through the real config loader, so tests see rules exactly as a config file produces them.
 */
export function routeWithRules(...lines: string[]): ProxyRoute {
  const config = loadValid(yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://a:1"', ...lines.map((line) => '    ' + line)));
  return config.routes[0] as ProxyRoute;
}
