import * as path from 'node:path';
import { replacePrefix } from '../core/routing/path';
import { RouteTable } from '../core/routing/route-table';
import type { DiagnosticList } from './diagnostics';
import type { ProxConfig, RouteConfig } from './model';
import { asRecord } from './raw-config';

/** `trusted_proxies` entries that trust every address; accepted, with a warning. */
export const TRUST_EVERYWHERE: ReadonlySet<string> = new Set(['0.0.0.0/0', '::/0']);

/**
 * Route lint: configurations that load and run but almost surely do not do what their author
 * meant. Warnings with positions (`prox validate --strict` fails on them); every check reads the
 * normalised config, so it judges what prox will do, not how the YAML spells it.
 */
export function lintConfig(config: ProxConfig, raw: unknown, configFile: string, out: DiagnosticList): void {
  const rawRoutes = asRecord(asRecord(raw)?.['routes']) ?? {};
  const at = (route: RouteConfig, field: string): string[] => (field in (asRecord(rawRoutes[route.key]) ?? {}) ? ['routes', route.key, field] : ['routes', route.key]);
  for (const route of config.routes) {
    lintNeverMatches(route, out);
    if (route.type === 'proxy' || route.type === 'load_balance') {
      lintRewrite(route, at(route, 'strip_prefix' in (asRecord(rawRoutes[route.key]) ?? {}) ? 'strip_prefix' : 'path_rewrite'), out);
      lintTargets(route, at(route, route.type === 'proxy' ? 'target' : 'targets'), out);
      if (route.type === 'load_balance' && route.targets.length > 1 && route.healthCheck === null) {
        out.warning(['routes', route.key], `route "${route.key}" balances ${route.targets.length} backends with active health checks off: a dead backend keeps its share of traffic until passive ejection notices`, {
          anchor: 'key',
          hint: 'enable health_check (top level or on the route)',
        });
      }
      if (route.healthCheck !== null && route.timeoutSecs < route.healthCheck.timeoutSecs) {
        out.warning(at(route, 'timeout_secs'), `timeout_secs ${route.timeoutSecs} is lower than the health check's timeout_secs ${route.healthCheck.timeoutSecs}: requests give up on a backend the health check still calls healthy`, {
          hint: 'raise timeout_secs or lower health_check.timeout_secs',
        });
      }
    }
    if (route.rateLimit !== null && route.rateLimit.by === 'header' && route.rateLimit.onMissingKey === 'allow') {
      out.warning(['routes', route.key, 'rate_limit'], `rate limit by header "${route.rateLimit.headerName}" without a fallback: a client escapes it by leaving the header out, and gets a fresh budget with every new value`, {
        anchor: 'key',
        hint: 'set on_missing_key: deny, and limit by a header a trusted proxy sets (or by: ip)',
      });
    }
    if (route.type === 'static') lintStaticRoot(route.key, route.root, configFile, out);
  }
  lintTrustedProxies(config, out);
  lintAdmin(config, out);
  lintRedirectLoops(config, out);
}

function lintNeverMatches(route: RouteConfig, out: DiagnosticList): void {
  // Routes under admin.public_path are an error already (operations-checks.ts).
  if (route.pathPrefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    out.warning(['routes', route.key], `route "${route.key}" never matches: prox removes "." and ".." segments from request paths before routing`, { anchor: 'key', hint: 'write the prefix without dot segments' });
  }
  if (/[^\x21-\x7e]/.test(route.pathPrefix)) {
    out.warning(['routes', route.key], `route "${route.key}" never matches: clients percent-encode characters outside ASCII, and prefixes are compared as sent`, {
      anchor: 'key',
      hint: `write the prefix percent-encoded: ${encodeURI(route.pathPrefix)}`,
    });
  }
}

/** Runs the server's own rewrite on probe paths: a rewrite must keep segments apart. */
function lintRewrite(route: RouteConfig & { readonly pathRewrite: string | null }, where: string[], out: DiagnosticList): void {
  if (route.pathRewrite === null) return;
  const probe = (route.pathPrefix === '/' ? '' : route.pathPrefix) + '/probe';
  const rewritten = replacePrefix(probe, route.pathPrefix, route.pathRewrite);
  if (!rewritten.endsWith('/probe')) {
    out.warning(where, `path_rewrite "${route.pathRewrite}" joins the rest of the path without a "/": ${probe} goes upstream as ${rewritten}`, { hint: 'end the rewrite on a segment boundary' });
  }
}

function lintTargets(route: RouteConfig & { readonly targets: readonly { readonly url: string }[] }, where: string[], out: DiagnosticList): void {
  for (const target of route.targets) {
    const url = new URL(target.url);
    if (url.search !== '' || url.hash !== '') {
      out.warning(where, `backend "${target.url}" has a query or fragment, which prox drops: requests go upstream with their own query only`, {
        hint: 'remove it from the URL; add parameters with a request_headers rule or in the backend',
      });
    }
  }
}

function lintStaticRoot(key: string, root: string, configFile: string, out: DiagnosticList): void {
  const where = ['routes', key, 'root'];
  if (root === path.parse(root).root) {
    out.warning(where, `static route "${key}" serves the whole filesystem (root "${root}")`, { hint: 'point root at the directory of the site' });
    return;
  }
  const config = path.resolve(configFile);
  if (config.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
    out.warning(where, `static route "${key}" serves the directory holding the config file (${config}); anyone can download it`, {
      hint: 'keep the config outside the static root',
    });
  }
}

function lintTrustedProxies(config: ProxConfig, out: DiagnosticList): void {
  config.trustedProxies.forEach((entry, index) => {
    if (!TRUST_EVERYWHERE.has(entry)) return;
    out.warning(['trusted_proxies', String(index)], `trusted_proxies "${entry}" believes X-Forwarded-For from every client: anyone can pick the address prox logs, limits and hashes by`, {
      hint: 'list only the addresses of your load balancers or CDN',
    });
  });
}

function lintAdmin(config: ProxConfig, out: DiagnosticList): void {
  const admin = config.admin;
  if (!admin.enabled || isLoopback(admin.listenAddr.host)) return;
  out.warning(['admin', 'listen_addr'], `the admin listener (${admin.listenAddr.host}:${admin.listenAddr.port}) is not on loopback: metrics, state and reload are open to the network`, {
    hint: 'bind it to 127.0.0.1 and reach it through SSH or a private network',
  });
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host === 'localhost';
}

/** Follows redirects between redirect routes of this config; a chain back to its start never ends. */
function lintRedirectLoops(config: ProxConfig, out: DiagnosticList): void {
  const table = new RouteTable(config.routes);
  for (const start of config.routes) {
    if (start.type !== 'redirect') continue;
    const seen = [start.key];
    let current: RouteConfig = start;
    for (let hop = 0; hop < config.routes.length && current.type === 'redirect'; hop++) {
      const next = redirectDestination(table, current);
      if (next === null || next.type !== 'redirect') break;
      if (next === start) {
        out.warning(['routes', start.key, 'target'], `redirect loop: ${[...seen, start.key].map((k) => `"${k}"`).join(' -> ')}`, { hint: 'point one of these redirects somewhere that is not redirected back' });
        break;
      }
      if (seen.includes(next.key)) break;
      seen.push(next.key);
      current = next;
    }
  }
}

function redirectDestination(table: RouteTable<RouteConfig>, route: RouteConfig & { readonly type: 'redirect' }): RouteConfig | null {
  if (route.target.startsWith('/')) {
    const target = route.target.split(/[?#]/)[0];
    // A path-only target stays on the host the request came to: the route's own host when it has one.
    const host = route.host === null || route.host.startsWith('*.') ? '' : route.host;
    return table.match(host, target);
  }
  try {
    const url = new URL(route.target);
    const next = table.match(url.hostname.toLowerCase(), url.pathname);
    // Only a route for that host shows the URL comes back to this prox; a host-less one may be elsewhere.
    return next !== null && next.host !== null ? next : null;
  } catch {
    return null;
  }
}
