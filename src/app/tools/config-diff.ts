import { createHash } from 'node:crypto';
import type { ProxConfig, RouteConfig } from '../../config/model';
import type { ErrorPageSpec } from '../../core/model';
import { redactUrlPassword } from '../../core/redacted-url';
import { redact } from '../admin-endpoints';
import { type Explanation, explainRequest } from './explain';
import type { TrustPredicateFactory } from './offline-compile';

/** Exit codes of `prox diff`, as diff(1): CI tells "no change" from "changes" from "broken". */
export const DIFF_EXIT = { same: 0, changed: 1, error: 2 } as const;

export interface RouteChange {
  readonly key: string;
  /** Names of the route's settings that differ (normalised config fields, e.g. strategy, healthCheck). */
  readonly fields: readonly string[];
  readonly backendsAdded: readonly string[];
  readonly backendsRemoved: readonly string[];
}

export interface DestinationChange {
  readonly url: string;
  readonly before: string;
  readonly after: string;
}

export interface SettingChange {
  readonly setting: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly appliesOn: 'reload' | 'restart';
}

export interface ConfigDiff {
  readonly changed: boolean;
  readonly routesAdded: readonly string[];
  readonly routesRemoved: readonly string[];
  readonly routesChanged: readonly RouteChange[];
  /** One probe URL per route key of either file, explained under both configs, where the outcome differs. */
  readonly destinations: readonly DestinationChange[];
  readonly settings: readonly SettingChange[];
  /** Whether a hot reload applies everything, or some changes wait for a restart. */
  readonly needsRestart: boolean;
  /** What happens to open WebSocket sessions on a reload. */
  readonly openSessions: readonly string[];
}

/**
 * Settings outside routes, and when the running prox applies a change to each: the same rules
 * ProxServer.replaceConfig and the Supervisor follow (and log when a reload cannot apply one).
 */
const SETTINGS: readonly { readonly setting: string; readonly read: (c: ProxConfig) => unknown; readonly appliesOn: (a: ProxConfig, b: ProxConfig) => 'reload' | 'restart' }[] = [
  { setting: 'listen_addr', read: (c) => c.listenAddr, appliesOn: () => 'reload' },
  // A new listener gets the new limits; the one kept on the same address keeps its old ones.
  { setting: 'limits', read: (c) => c.limits, appliesOn: (a, b) => (sameAddress(a, b) ? 'restart' : 'reload') },
  { setting: 'workers', read: (c) => c.workers, appliesOn: () => 'restart' },
  { setting: 'admin', read: (c) => c.admin, appliesOn: () => 'restart' },
  { setting: 'tls', read: (c) => c.tls ?? null, appliesOn: (a, b) => ((a.tls == null) !== (b.tls == null) || JSON.stringify(a.tls?.acme) !== JSON.stringify(b.tls?.acme) ? 'restart' : 'reload') },
  { setting: 'trusted_proxies', read: (c) => c.trustedProxies, appliesOn: () => 'reload' },
  { setting: 'access_log', read: (c) => c.accessLog, appliesOn: () => 'reload' },
  { setting: 'errors', read: (c) => c.errorPages.map(pageSummary), appliesOn: () => 'reload' },
  { setting: 'request_id_header', read: (c) => c.requestIdHeader, appliesOn: () => 'reload' },
  { setting: 'shutdown_timeout_secs', read: (c) => c.shutdownTimeoutSecs, appliesOn: () => 'reload' },
  { setting: 'protocols.websocket_enabled', read: (c) => c.websocketEnabled, appliesOn: () => 'reload' },
];

/**
 * An error page by its size and hash: a page's body may come from a file, and neither a CI log
 * nor the admin's POST /config/diff (whose candidate names any file prox can read) should print it.
 */
function pageSummary(page: ErrorPageSpec): { status: number; type: string; body_bytes: number; body_sha256: string } {
  return { status: page.status, type: page.type, body_bytes: Buffer.byteLength(page.body), body_sha256: createHash('sha256').update(page.body).digest('hex').slice(0, 16) };
}

function sameAddress(a: ProxConfig, b: ProxConfig): boolean {
  return a.listenAddr.host === b.listenAddr.host && a.listenAddr.port === b.listenAddr.port;
}

/** What changing `before` into `after` means for traffic and for the running prox. */
export function diffConfigs(before: ProxConfig, after: ProxConfig, trustPredicate: TrustPredicateFactory, nowMs: number): ConfigDiff {
  const oldRoutes = new Map(before.routes.map((r) => [r.key, r]));
  const newRoutes = new Map(after.routes.map((r) => [r.key, r]));
  const routesAdded = after.routes.filter((r) => !oldRoutes.has(r.key)).map((r) => r.key);
  const routesRemoved = before.routes.filter((r) => !newRoutes.has(r.key)).map((r) => r.key);
  const routesChanged: RouteChange[] = [];
  for (const route of after.routes) {
    const old = oldRoutes.get(route.key);
    if (old !== undefined) {
      const change = routeChange(old, route);
      if (change !== null) routesChanged.push(change);
    }
  }
  const settings: SettingChange[] = [];
  for (const s of SETTINGS) {
    const a = s.read(before);
    const b = s.read(after);
    // Compared as they are, shown redacted: a changed token is a change, not a value to print.
    if (JSON.stringify(a) !== JSON.stringify(b)) settings.push({ setting: s.setting, before: redact(a), after: redact(b), appliesOn: s.appliesOn(before, after) });
  }
  const destinations = destinationChanges(before, after, trustPredicate, nowMs);
  const changed = routesAdded.length + routesRemoved.length + routesChanged.length + settings.length + destinations.length > 0;
  return {
    changed,
    routesAdded,
    routesRemoved,
    routesChanged,
    destinations,
    settings,
    needsRestart: settings.some((s) => s.appliesOn === 'restart'),
    openSessions: openSessionEffects(before, routesRemoved, routesChanged),
  };
}

function routeChange(old: RouteConfig, next: RouteConfig): RouteChange | null {
  const a = old as unknown as Record<string, unknown>;
  const b = next as unknown as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((f) => JSON.stringify(a[f]) !== JSON.stringify(b[f]))
    // Named as in the YAML (the model is camelCase).
    .map((f) => f.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase()));
  if (fields.length === 0) return null;
  const urls = (r: RouteConfig): string[] => ('targets' in r ? r.targets.map((t) => t.url) : []);
  return {
    key: next.key,
    fields,
    // Compared as configured, shown with any password redacted.
    backendsAdded: urls(next).filter((u) => !urls(old).includes(u)).map(redactUrlPassword),
    backendsRemoved: urls(old).filter((u) => !urls(next).includes(u)).map(redactUrlPassword),
  };
}

/** A request under each route key: host (or example.com for host-less keys) and the prefix plus one segment. */
function probeUrl(route: RouteConfig): string {
  const host = route.host === null ? 'example.com' : route.host.startsWith('*.') ? `probe${route.host.slice(1)}` : route.host;
  return `http://${host}${route.pathPrefix === '/' ? '' : route.pathPrefix}/probe`;
}

function destinationChanges(before: ProxConfig, after: ProxConfig, trustPredicate: TrustPredicateFactory, nowMs: number): DestinationChange[] {
  const urls = [...new Set([...before.routes, ...after.routes].map(probeUrl))];
  const changes: DestinationChange[] = [];
  for (const url of urls) {
    const input = { method: 'GET', url, headers: [], clientIp: '127.0.0.1' };
    const a = destinationOf(explainRequest(before, input, trustPredicate, nowMs));
    const b = destinationOf(explainRequest(after, input, trustPredicate, nowMs));
    if (a !== b) changes.push({ url, before: a, after: b });
  }
  return changes;
}

/** Where a request ends up, in one line: the route and what it does with the request. */
export function destinationOf(e: Explanation): string {
  if (e.admin) return 'admin endpoints';
  if (e.route === null) return 'no route (404)';
  const action = e.action;
  switch (action?.kind) {
    case 'forward':
      // Backend URLs may carry a password: shown redacted, as /config shows them.
      return `route "${e.route.key}" -> ${action.backends.length === 1 ? redactUrlPassword(action.upstreamUrl) : `${action.strategy} over ${action.backends.map((b) => redactUrlPassword(b.url)).join(', ')}, path ${action.pathAfterRewrite}`}`;
    case 'redirect':
      return `route "${e.route.key}" -> redirect ${action.status} ${action.location}`;
    case 'static':
      return `route "${e.route.key}" -> ${action.refusal === null ? `file ${action.file}` : `refused (${action.refusal})`}`;
    default:
      return `route "${e.route.key}"`;
  }
}

/**
 * A reload closes no open WebSocket session today (docs/websocket.md): sessions keep the route
 * and backend they started on until they end. Listed so the operator knows which ones outlive
 * their configuration.
 */
function openSessionEffects(before: ProxConfig, removed: readonly string[], changed: readonly RouteChange[]): string[] {
  if (!before.websocketEnabled) return [];
  const effects: string[] = [];
  const forwarding = new Set(before.routes.filter((r) => r.type === 'proxy' || r.type === 'load_balance').map((r) => r.key));
  for (const key of removed) if (forwarding.has(key)) effects.push(`WebSocket sessions on removed route "${key}" are not closed: they continue on their backend until they end`);
  for (const change of changed) {
    for (const url of change.backendsRemoved) effects.push(`WebSocket sessions of route "${change.key}" on removed backend ${url} are not closed: they continue until they end`);
  }
  return effects;
}
