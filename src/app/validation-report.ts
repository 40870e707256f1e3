import { certificateSummary, certificateSummaryLines, type CertificateSummary } from '../config/certificate-summary';
import { displayPointer } from '../config/config-path';
import { formatListenAddress } from '../config/listen-address';
import { loadConfigFile } from '../config/loader';
import type { DetectedFormat, Diagnostic, LoadResult, ProxConfig, RouteConfig } from '../config/model';
import type { EngineSetting } from '../core/model';
import { engineLabel } from './engine-label';
import { resolveWorkerCount } from './workers/worker-count';

/** Exit codes of `prox validate`, part of the CLI contract (CI pipelines branch on them). */
export const VALIDATE_EXIT = { valid: 0, invalid: 1, unreadable: 2 } as const;

type RouteType = RouteConfig['type'];
const ROUTE_TYPES: readonly RouteType[] = ['proxy', 'load_balance', 'redirect', 'static'];

export interface ValidateSummary {
  readonly errorCount: number;
  readonly warningCount: number;
  /** Only known when the config is valid. */
  readonly listenAddr: string | null;
  readonly routes: ({ readonly total: number } & Readonly<Record<RouteType, number>>) | null;
  /** The TLS listener's certificates, names and expiry; only known when the config is valid. */
  readonly certificates: readonly CertificateSummary[] | null;
  /** The inbound engine `prox serve` would run here, and why; only known when the config is valid. */
  readonly engine?: EngineSummary | null;
  /** `tcp:` listeners as `address -> backends`; absent when there are none. */
  readonly tcpListeners?: readonly string[];
  /** Another proxy's format the file was recognised as (and converted from); absent for prox YAML. */
  readonly format?: DetectedFormat;
}

export interface EngineSummary {
  readonly inUse: 'uws' | 'node' | 'llhttp';
  readonly configured: EngineSetting;
  readonly reason: string;
  /** Why that engine cannot run on this machine's Node (prox serve would refuse to start), or null. */
  readonly problem: string | null;
}

/**
 * What `engine:` means on this machine (environment and Node version included) for a config that
 * runs `workers` processes (`auto` can depend on it: sharing the public port); from src/composition.
 */
export type EngineDescriber = (configured: EngineSetting, workers: number) => EngineSummary;

export interface ValidateReport {
  readonly valid: boolean;
  readonly file: string;
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  readonly summary: ValidateSummary;
}

/** A file's validation, as `prox validate` reports it. */
export async function validateConfigFile(
  file: string,
  options: { readonly strict?: boolean; readonly describeEngine?: EngineDescriber | null } = {},
): Promise<{ readonly report: ValidateReport; readonly unreadable: boolean; readonly exitCode: number }> {
  const loaded = await loadConfigFile(file, { lint: true });
  const result = options.strict === true ? failOnWarnings(loaded) : loaded;
  const unreadable = !result.ok && result.unreadable;
  const exitCode = result.ok ? VALIDATE_EXIT.valid : unreadable ? VALIDATE_EXIT.unreadable : VALIDATE_EXIT.invalid;
  return { report: buildReport(file, result, options.describeEngine ?? null), unreadable, exitCode };
}

/** `--strict`: every warning (route lint included) becomes an error, so CI fails on it. */
function failOnWarnings(result: LoadResult): LoadResult {
  if (result.warnings.length === 0) return result;
  const promoted = result.warnings.map((d) => ({ ...d, severity: 'error' as const }));
  const errors = result.ok ? promoted : [...result.errors, ...promoted].sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, errors, warnings: [], unreadable: false };
}

export function buildReport(file: string, result: LoadResult, describeEngine: EngineDescriber | null = null): ValidateReport {
  const errors = result.ok ? [] : result.errors;
  return {
    valid: result.ok,
    file,
    errors,
    warnings: result.warnings,
    summary: {
      errorCount: errors.length,
      warningCount: result.warnings.length,
      listenAddr: result.ok && result.config.httpListener !== false ? formatListenAddress(result.config.listenAddr) : null,
      routes: result.ok ? countRoutes(result.config) : null,
      certificates: result.ok ? certificateSummary(result.config) : null,
      ...(describeEngine === null || !result.ok ? {} : { engine: describeEngine(result.config.engine, resolveWorkerCount(result.config.workers)) }),
      ...(result.ok && (result.config.tcp ?? []).length > 0 ? { tcpListeners: tcpSummary(result.config) } : {}),
      ...(result.ok && result.format !== undefined ? { format: result.format } : {}),
    },
  };
}

function tcpSummary(config: ProxConfig): string[] {
  return (config.tcp ?? []).map((listener) => {
    const backends = listener.backends.map((backend) => `${backend.host.includes(':') ? `[${backend.host}]` : backend.host}:${backend.port}`);
    const sni = listener.sniRoutes.length > 0 ? ` + ${plural(listener.sniRoutes.length, 'SNI route')}` : '';
    return `${formatListenAddress(listener.listenAddr)} -> ${backends.join(', ') || '(none)'} (${listener.strategy})${sni}`;
  });
}

function countRoutes(config: ProxConfig): NonNullable<ValidateSummary['routes']> {
  const counts: Record<RouteType, number> = { proxy: 0, load_balance: 0, redirect: 0, static: 0 };
  for (const route of config.routes) counts[route.type] += 1;
  return { total: config.routes.length, ...counts };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

export function formatDiagnostic(d: Diagnostic): string {
  // Findings about the whole file (line 0) have neither a position nor a field to show.
  const line =
    d.line > 0
      ? `${d.file}:${d.line}:${d.col}  ${d.severity}  ${displayPointer(d.path)}  ${d.message}`
      : `${d.file}  ${d.severity}  ${d.message}`;
  return d.hint ? `${line}\n    hint: ${d.hint}` : line;
}

export function formatText(report: ValidateReport, options: { unreadable?: boolean } = {}): string {
  const findings = [...report.errors, ...report.warnings].sort((a, b) => a.line - b.line || a.col - b.col);
  const lines = findings.map(formatDiagnostic);
  if (lines.length > 0) lines.push('');

  const { summary } = report;
  if (report.valid) {
    const warnings = summary.warningCount > 0 ? ` (${plural(summary.warningCount, 'warning')})` : '';
    lines.push(`${report.file}: valid${warnings}`);
    if (summary.format !== undefined) {
      lines.push(`  format: ${summary.format.title}, run as prox's model (prox convert prints the prox YAML)`);
      for (const note of summary.format.notes) lines.push(`    note: ${note}`);
    }
    if (summary.listenAddr !== null) lines.push(`  listen address: ${summary.listenAddr}`);
    for (const listener of summary.tcpListeners ?? []) lines.push(`  tcp listener: ${listener}`);
    if (summary.routes) {
      const byType = ROUTE_TYPES.filter((t) => summary.routes![t] > 0)
        .map((t) => `${t} ${summary.routes![t]}`)
        .join(', ');
      lines.push(`  routes: ${summary.routes.total} (${byType})`);
    }
    lines.push(...certificateSummaryLines(summary.certificates ?? []));
    if (summary.engine) {
      const engine = summary.engine;
      lines.push(`  engine: ${engineLabel(engine.inUse)} (${engine.reason})`);
      if (engine.problem !== null) lines.push(`  engine problem (prox serve would not start on this Node): ${engine.problem}`);
    }
  } else if (options.unreadable) {
    lines.push(`${report.file}: not validated`);
  } else {
    const warnings = summary.warningCount > 0 ? `, ${plural(summary.warningCount, 'warning')}` : '';
    lines.push(`${report.file}: invalid, ${plural(summary.errorCount, 'error')}${warnings}`);
  }
  return lines.join('\n');
}
