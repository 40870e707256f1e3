import type { DiagnosticList } from './diagnostics';
import { asRecord, asString } from './raw-config';

/** Longest `rate_limit.period`: a month covers daily and weekly quotas; longer is almost surely a typo. */
export const MAX_PERIOD_SECS = 31 * 24 * 3600;

const UNIT_SECS: Readonly<Record<string, number>> = { s: 1, m: 60, h: 3600 };

export interface PeriodProblem {
  readonly message: string;
  readonly hint: string;
}

/** `"30s"`, `"5m"`, `"1h"` → seconds. */
export function parsePeriod(text: string): number | PeriodProblem {
  const match = /^([1-9][0-9]*)([smh])$/.exec(text);
  if (match === null) {
    return { message: `"${text}" is not a valid period`, hint: 'write a whole number followed by s, m or h, e.g. 30s, 5m, 1h' };
  }
  const secs = Number(match[1]) * UNIT_SECS[match[2]];
  if (secs > MAX_PERIOD_SECS) {
    return { message: `period "${text}" is longer than 31 days`, hint: 'rate limits count over seconds to days; use at most 744h' };
  }
  return secs;
}

export function isPeriodProblem(parsed: number | PeriodProblem): parsed is PeriodProblem {
  return typeof parsed !== 'number';
}

/**
 * `rate_limit` rules the schema cannot express: the period must parse to a sane length, and
 * fields that only make sense with another setting are reported where they are ignored.
 */
export function checkRateLimit(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const block = asRecord(value);
  if (!block) return;
  const where = [...at, 'rate_limit'];
  const period = asString(block['period']);
  if (period !== undefined && /^[1-9][0-9]*[smh]$/.test(period)) {
    const parsed = parsePeriod(period);
    if (isPeriodProblem(parsed)) out.error([...where, 'period'], parsed.message, { hint: parsed.hint });
  }
  const algorithm = block['algorithm'] ?? 'token_bucket';
  if ('burst' in block && algorithm !== 'token_bucket') {
    out.error([...where, 'burst'], `"burst" applies to token_bucket only, not ${String(algorithm)}`, {
      anchor: 'key',
      hint: 'remove burst, or use algorithm: token_bucket; a window allows exactly `requests` per period',
    });
  }
  const burst = block['burst'];
  if (typeof burst === 'number' && Number.isInteger(burst) && burst < 1) {
    out.error([...where, 'burst'], `burst ${burst} would refuse every request`, { hint: 'burst is the bucket size: at least 1, usually requests or more' });
  }
  if (block['by'] !== 'header') {
    for (const field of ['header_name', 'on_missing_key']) {
      if (field in block) {
        out.warning([...where, field], `"${field}" has no effect unless by is header`, { anchor: 'key' });
      }
    }
  }
}
