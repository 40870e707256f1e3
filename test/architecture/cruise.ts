import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** The repository root: where .dependency-cruiser.cjs lives. */
export const ROOT = join(__dirname, '..', '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');
// dependency-cruiser is ESM only, which jest's CommonJS runtime cannot load: run its CLI (which
// its package.json `exports` do not list, hence the path).
const CLI = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

export interface Violation {
  rule: string;
  severity: string;
  from: string;
  to: string;
  /** The modules of a cycle, in order, when the rule is about cycles. */
  cycle?: string[];
}

interface CruiseResult {
  summary: {
    violations: {
      rule: { name: string; severity: string };
      from: string;
      to: string;
      cycle?: { name: string }[];
    }[];
  };
}

/**
 * Runs dependency-cruiser with the project's rules over `src` of the directory `cwd` (the
 * repository, or a fixture tree laid out like it) and returns every violation it reports,
 * excused ones (severity "ignore") included.
 */
export function cruise(cwd: string = ROOT): Violation[] {
  // The exit code is the number of errors found, so only a missing report is a failure here.
  const run = spawnSync(process.execPath, [CLI, 'src', '--config', CONFIG, '--output-type', 'json'], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (run.error) throw run.error;
  if (!run.stdout.trim()) throw new Error(`dependency-cruiser printed no report (exit ${run.status}): ${run.stderr}`);
  const result = JSON.parse(run.stdout) as CruiseResult;
  return result.summary.violations.map((violation) => ({
    rule: violation.rule.name,
    severity: violation.rule.severity,
    from: violation.from,
    to: violation.to,
    ...(violation.cycle ? { cycle: violation.cycle.map((step) => step.name) } : {}),
  }));
}

/** One line per violation, readable in a failing test's output. */
export function describeViolation(violation: Violation): string {
  const target = violation.cycle ? [violation.from, ...violation.cycle].join(' → ') : `${violation.from} → ${violation.to}`;
  return `${violation.rule}: ${target}`;
}
