import type { ConfigPath } from './config-path';
import { DEFAULTS } from './defaults';
import type { DiagnosticList } from './diagnostics';
import { closestMatch } from './did-you-mean';
import { mergedHealthCheckFields } from './health-check-merge';
import { asRecord, asString } from './raw-config';
import { isStatusRangeProblem, parseStatusRanges } from './status-ranges';
import { backendUrlKey } from './url-rules';

type Fields = Readonly<Record<string, unknown>>;

/** Strategies that pick by weight; the others treat every backend alike. */
const WEIGHTED_STRATEGIES = ['weighted_round_robin', 'random', 'ip_hash', 'consistent_hash'];
const UNWEIGHTED_STRATEGIES = ['round_robin', 'least_connections', 'power_of_two'];

/** The route's strategy, or null when it is not a valid one (the schema reports that). */
function strategyOf(route: Fields): string | null {
  const strategy = route['strategy'] ?? DEFAULTS.strategy;
  return typeof strategy === 'string' && (WEIGHTED_STRATEGIES.includes(strategy) || UNWEIGHTED_STRATEGIES.includes(strategy))
    ? strategy
    : null;
}

function isPositive(value: unknown): value is number {
  return typeof value === 'number' && value > 0;
}

/**
 * Rules for the backend settings of proxy and load_balance routes (targets, balancing, health,
 * passive health, retries) that the schema cannot express, plus warnings for settings that are
 * valid but have no effect as written.
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkUpstreamSettings(config: Fields, out: DiagnosticList): void {
  const globalHealth = config['health_check'];
  const global = asRecord(globalHealth);
  if (global) {
    checkExpectedStatus(['health_check'], global, out);
    checkProbeTimeout(['health_check'], global, mergedHealthCheckFields(global, undefined), out);
  }

  const allTargets: string[] = [];
  for (const [key, value] of Object.entries(asRecord(config['routes']) ?? {})) {
    const route = asRecord(value);
    if (!route || (route['type'] !== 'proxy' && route['type'] !== 'load_balance')) continue;
    const at = ['routes', key];
    const targets = targetUrls(route);
    allTargets.push(...targets.map((t) => t.url));
    if (route['type'] === 'load_balance') {
      checkDuplicateTargets(at, targets, out);
      checkWeights(at, route, out);
      checkHashKey(at, route, out);
    }
    const routeHealth = asRecord(route['health_check']);
    if (routeHealth) {
      const path = [...at, 'health_check'];
      checkExpectedStatus(path, routeHealth, out);
      // Only where the top-level check did not already report it: the route sets the timing,
      // or turns on checks the top-level block turns off.
      const setsTiming = 'interval_secs' in routeHealth || 'timeout_secs' in routeHealth;
      if (setsTiming || (routeHealth['enabled'] === true && global?.['enabled'] === false)) {
        checkProbeTimeout(path, routeHealth, mergedHealthCheckFields(globalHealth, routeHealth), out);
      }
    }
    const passive = asRecord(route['passive']);
    if (passive) checkEjectionTimes([...at, 'passive'], passive, out);
  }

  checkBackendHealthPaths(config['backend_health_paths'], allTargets, out);
}

interface WrittenTarget {
  readonly url: string;
  readonly path: ConfigPath;
}

function targetUrls(route: Fields): WrittenTarget[] {
  const found: WrittenTarget[] = [];
  const target = asString(route['target']);
  if (route['type'] === 'proxy' && target !== undefined) found.push({ url: target, path: ['target'] });
  const targets = route['targets'];
  if (route['type'] === 'load_balance' && Array.isArray(targets)) {
    targets.forEach((entry: unknown, index) => {
      const url = typeof entry === 'string' ? entry : asString(asRecord(entry)?.['url']);
      if (url !== undefined) found.push({ url, path: ['targets', String(index)] });
    });
  }
  return found;
}

function checkDuplicateTargets(at: ConfigPath, targets: readonly WrittenTarget[], out: DiagnosticList): void {
  const seen = new Set<string>();
  for (const target of targets) {
    const key = backendUrlKey(target.url);
    if (!seen.has(key)) {
      seen.add(key);
      continue;
    }
    out.error([...at, ...target.path], `"${target.url}" is listed more than once in targets`, {
      hint: `list each backend once; to send it more traffic, give it a weight ({url: "${key}", weight: 2}) and use a weighted strategy such as weighted_round_robin`,
    });
  }
}

function checkWeights(at: ConfigPath, route: Fields, out: DiagnosticList): void {
  const targets = route['targets'];
  if (!Array.isArray(targets)) return;
  const strategy = strategyOf(route);
  if (strategy === null || WEIGHTED_STRATEGIES.includes(strategy)) return;
  const index = targets.findIndex((entry: unknown) => {
    const weight = asRecord(entry)?.['weight'];
    return typeof weight === 'number' && weight !== 1;
  });
  if (index === -1) return;
  const which = route['strategy'] === undefined ? `${strategy} (the default)` : strategy;
  out.warning([...at, 'targets', String(index), 'weight'], `weights have no effect with strategy ${which}`, {
    anchor: 'key',
    hint: `weights are used by ${WEIGHTED_STRATEGIES.join(', ')}; change the strategy or remove the weights`,
  });
}

function checkHashKey(at: ConfigPath, route: Fields, out: DiagnosticList): void {
  const hashKey = asRecord(route['hash_key']);
  if (!hashKey) return;
  const by = hashKey['by'] ?? DEFAULTS.hashKeyBy;
  if (by === 'ip' && 'name' in hashKey) {
    out.error([...at, 'hash_key', 'name'], '"name" does not apply to hash_key by: ip', {
      anchor: 'key',
      hint: 'remove name, or set by: header or by: cookie to hash by that header or cookie',
    });
  }
  const strategy = strategyOf(route);
  if (strategy === null || strategy === 'consistent_hash') return;
  const message =
    strategy === 'ip_hash'
      ? '"hash_key" has no effect with strategy ip_hash, which always hashes the client address'
      : `"hash_key" has no effect with strategy ${strategy}`;
  out.warning([...at, 'hash_key'], message, { anchor: 'key', hint: 'use strategy: consistent_hash, or remove hash_key' });
}

function checkExpectedStatus(at: ConfigPath, block: Fields, out: DiagnosticList): void {
  const value = block['expected_status'];
  if (typeof value !== 'string') return; // numbers are range-checked by the schema
  const parsed = parseStatusRanges(value);
  if (isStatusRangeProblem(parsed)) out.error([...at, 'expected_status'], parsed.message, { hint: parsed.hint });
}

/** A probe that may run as long as the interval would delay the next one. */
function checkProbeTimeout(at: ConfigPath, written: Fields, merged: Fields | null, out: DiagnosticList): void {
  if (!merged || merged['enabled'] === false) return;
  const interval = merged['interval_secs'] ?? DEFAULTS.healthCheck.intervalSecs;
  const timeout = merged['timeout_secs'] ?? DEFAULTS.healthCheck.timeoutSecs;
  if (!isPositive(interval) || !isPositive(timeout) || timeout < interval) return;
  const field = ['timeout_secs', 'interval_secs'].find((name) => name in written);
  out.warning(field ? [...at, field] : at, `health check timeout_secs (${timeout}) is not below interval_secs (${interval})`, {
    anchor: 'key',
    hint: 'a probe that runs into its timeout delays the next one; make timeout_secs smaller than interval_secs',
  });
}

function checkEjectionTimes(at: ConfigPath, passive: Fields, out: DiagnosticList): void {
  const base = passive['ejection_secs'] ?? DEFAULTS.passiveHealth.ejectionSecs;
  const max = passive['max_ejection_secs'] ?? DEFAULTS.passiveHealth.maxEjectionSecs;
  if (!isPositive(base) || !isPositive(max) || max >= base) return;
  const maxText = 'max_ejection_secs' in passive ? `${max}` : `${max}, the default`;
  const baseText = 'ejection_secs' in passive ? `${base}` : `${base}, the default`;
  const field = 'max_ejection_secs' in passive ? 'max_ejection_secs' : 'ejection_secs';
  out.error([...at, field], `max_ejection_secs (${maxText}) is less than ejection_secs (${baseText})`, {
    hint: `max_ejection_secs caps the doubling ejection time, so it must be at least ejection_secs; set max_ejection_secs: ${base} or more`,
  });
}

function checkBackendHealthPaths(value: unknown, targets: readonly string[], out: DiagnosticList): void {
  const paths = asRecord(value);
  if (!paths) return;
  const targetKeys = new Set(targets.map(backendUrlKey));
  const firstKeyFor = new Map<string, string>();
  for (const backend of Object.keys(paths)) {
    const key = backendUrlKey(backend);
    const earlier = firstKeyFor.get(key);
    if (earlier !== undefined) {
      out.error(['backend_health_paths', backend], `"${backend}" is the same backend as "${earlier}"`, {
        anchor: 'key',
        hint: 'a trailing / does not make a different backend; keep one of the two entries',
      });
      continue;
    }
    firstKeyFor.set(key, backend);
    if (targetKeys.has(key)) continue;
    const suggestion = closestMatch(key, [...targetKeys]);
    out.warning(['backend_health_paths', backend], `"${backend}" is not a target of any route, so this path is never probed`, {
      anchor: 'key',
      hint: suggestion
        ? `did you mean "${suggestion}"?`
        : 'keys must be written like a proxy target or load_balance targets entry (a trailing / is ignored)',
    });
  }
}
