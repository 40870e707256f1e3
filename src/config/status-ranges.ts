import type { StatusRange } from './model';

/**
 * `health_check.expected_status`: a single code (`200`), or a string of codes and inclusive
 * ranges separated by commas (`"200,204,300-399"`).
 */

export interface StatusRangeProblem {
  readonly message: string;
  readonly hint: string;
}

const LOWEST = 100;
const HIGHEST = 599;
const FORMAT_HINT = 'write status codes and ranges separated by commas, e.g. "200-399" or "200,204,300-399"';
const ITEM = /^([0-9]+)(?:\s*-\s*([0-9]+))?$/;

export function parseStatusRanges(value: number | string): StatusRange[] | StatusRangeProblem {
  if (typeof value === 'number') {
    const problem = codeProblem(value, String(value));
    return problem ?? [{ from: value, to: value }];
  }
  if (value.trim() === '') return { message: 'no status codes given', hint: FORMAT_HINT };
  const items = value.split(',').map((item) => item.trim());
  const ranges: StatusRange[] = [];
  for (const item of items) {
    const match = ITEM.exec(item);
    if (!match) {
      return {
        message: item === '' ? `"${value}" has an empty entry` : `"${item}" is not a status code or range`,
        hint: FORMAT_HINT,
      };
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    const problem = codeProblem(from, match[1]!) ?? codeProblem(to, match[2] ?? match[1]!);
    if (problem) return problem;
    if (from > to) {
      return { message: `range "${item}" runs backwards`, hint: `write the lower code first: ${to}-${from}` };
    }
    ranges.push({ from, to });
  }
  return ranges;
}

export function isStatusRangeProblem(parsed: StatusRange[] | StatusRangeProblem): parsed is StatusRangeProblem {
  return !Array.isArray(parsed);
}

function codeProblem(code: number, written: string): StatusRangeProblem | null {
  if (Number.isInteger(code) && code >= LOWEST && code <= HIGHEST) return null;
  return { message: `${written} is not an HTTP status code (${LOWEST}-${HIGHEST})`, hint: FORMAT_HINT };
}
