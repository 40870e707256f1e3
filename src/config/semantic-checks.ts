import proxyaddr from 'proxy-addr';
import type { DiagnosticList } from './diagnostics';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import { checkOperationsSettings } from './operations-checks';
import { checkRoutePolicies } from './policy-checks';
import { checkRateLimit } from './rate-limit-rules';
import { TRUST_EVERYWHERE } from './route-lint';
import { asRecord, asString } from './raw-config';
import { isRouteKeyProblem, parseRouteKey } from './route-key';
import { checkMessageRules } from './rule-checks';
import { checkTcpListeners } from './tcp-listeners';
import { checkUpstreamSettings } from './upstream-checks';
import { backendUrlProblem, redirectTargetProblem } from './url-rules';

/**
 * Rules JSON Schema cannot express: values that must parse (URLs, addresses, CIDRs), fields that
 * exclude each other, and routes that collide or can never match; backend settings in
 * `upstream-checks.ts`, admin and request id settings in `operations-checks.ts`.
 *
 * Runs even when the schema found errors, so one pass reports everything; hence every access
 * is guarded, because the data may have any shape.
 */
export function runSemanticChecks(data: unknown, out: DiagnosticList): void {
  const config = asRecord(data);
  if (!config) return;
  checkListenAddress(config['listen_addr'], out);
  checkRoutes(config['routes'], out);
  checkTrustedProxies(config['trusted_proxies'], out);
  checkTls(config['tls'], out);
  checkBackendHealthPaths(config['backend_health_paths'], out);
  checkUpstreamSettings(config, out);
  checkMessageRules(config, out);
  checkOperationsSettings(config, out);
  checkTcpListeners(config, out);
}

function checkListenAddress(value: unknown, out: DiagnosticList): void {
  const text = asString(value);
  if (text === undefined) return;
  const parsed = parseListenAddress(text);
  if (isListenAddressProblem(parsed)) {
    out.error(['listen_addr'], `invalid listen address: ${parsed.message}`, { hint: parsed.hint });
  }
}

function checkRoutes(value: unknown, out: DiagnosticList): void {
  const routes = asRecord(value);
  if (!routes) return;
  const firstKeyForMatch = new Map<string, string>();
  for (const [key, route] of Object.entries(routes)) {
    const parsed = parseRouteKey(key);
    if (isRouteKeyProblem(parsed)) {
      out.error(['routes', key], parsed.message, { anchor: 'key', hint: parsed.hint });
    } else {
      const match = `${parsed.host ?? ''}${parsed.pathPrefix}`;
      const earlier = firstKeyForMatch.get(match);
      if (earlier === undefined) {
        firstKeyForMatch.set(match, key);
      } else {
        out.error(['routes', key], `route "${key}" duplicates route "${earlier}"`, {
          anchor: 'key',
          hint: 'a trailing / or different letter case in the host does not make a different route; merge the two',
        });
      }
    }
    const fields = asRecord(route);
    if (fields) checkRouteFields(['routes', key], fields, out);
  }
}

function checkRouteFields(at: readonly string[], route: Readonly<Record<string, unknown>>, out: DiagnosticList): void {
  // Which URL rule applies depends on the type; with an unknown type the schema error says enough.
  const type = route['type'];
  const target = asString(route['target']);
  if (target !== undefined && (type === 'proxy' || type === 'redirect')) {
    const problem = type === 'redirect' ? redirectTargetProblem(target) : backendUrlProblem(target);
    if (problem) out.error([...at, 'target'], problem.message, { hint: problem.hint });
  }
  if (type === 'load_balance' && Array.isArray(route['targets'])) {
    route['targets'].forEach((entry: unknown, index) => {
      // A target is a URL, or {url, weight}; other shapes are the schema's to report.
      const path = [...at, 'targets', String(index)];
      const url = typeof entry === 'string' ? entry : asString(asRecord(entry)?.['url']);
      const problem = url ? backendUrlProblem(url) : null;
      if (problem) out.error(typeof entry === 'string' ? path : [...path, 'url'], problem.message, { hint: problem.hint });
    });
  }
  if ('strip_prefix' in route && 'path_rewrite' in route) {
    out.error([...at, 'strip_prefix'], '"strip_prefix" and "path_rewrite" cannot both be set', {
      anchor: 'key',
      hint: 'strip_prefix: true is the same as path_rewrite: "/"; keep only one of them',
    });
  }
  checkRateLimit(at, route['rate_limit'], out);
  checkRoutePolicies(at, route, out);
}

function checkTrustedProxies(value: unknown, out: DiagnosticList): void {
  if (!Array.isArray(value)) return;
  value.forEach((entry, index) => {
    // Trusting everyone is legal but dangerous: route lint warns about it (route-lint.ts).
    if (typeof entry !== 'string' || entry === '' || TRUST_EVERYWHERE.has(entry)) return;
    try {
      proxyaddr.compile(entry);
    } catch (error) {
      out.error(['trusted_proxies', String(index)], `"${entry}" is not a valid address or range: ${(error as Error).message}`, {
        hint: 'use an IP address, a CIDR range such as 10.0.0.0/8, or loopback, linklocal, uniquelocal',
      });
    }
  });
}

function checkTls(value: unknown, out: DiagnosticList): void {
  const tls = asRecord(value);
  if (!tls) return;
  const hasFiles = 'cert_path' in tls || 'key_path' in tls || (Array.isArray(tls['certificates']) && tls['certificates'].length > 0);
  const hasAcme = 'acme' in tls;
  if (hasFiles && hasAcme) {
    out.error(['tls', 'acme'], 'tls cannot use both certificate files and acme', {
      anchor: 'key',
      hint: 'keep either cert_path + key_path (and certificates), or acme',
    });
  } else if (!hasFiles && !hasAcme) {
    out.error(['tls'], 'tls needs cert_path + key_path (a default certificate), certificates (chosen by SNI), or acme', { anchor: 'key', hint: null });
  }
}

function checkBackendHealthPaths(value: unknown, out: DiagnosticList): void {
  const paths = asRecord(value);
  if (!paths) return;
  for (const backend of Object.keys(paths)) {
    const problem = backendUrlProblem(backend);
    if (problem) out.error(['backend_health_paths', backend], problem.message, { anchor: 'key', hint: problem.hint });
  }
}
