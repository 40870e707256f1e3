import type { RuleCondition, StatusRange } from '../model';

/**
 * A rule's condition with its regular expressions compiled once. Every part that is set must
 * hold. The same shape serves request rules (headers: the client's request, status: 0) and
 * response rules (headers: the upstream response's, status: the answer's).
 */
export class CompiledCondition {
  private constructor(
    private readonly path: RegExp | null,
    private readonly methods: readonly string[] | null,
    private readonly headerName: string | null,
    private readonly headerValue: RegExp | null,
    private readonly status: readonly StatusRange[] | null,
  ) {}

  /** Regexes are compiled without flags, so `test` keeps no state between calls. */
  static compile(spec: RuleCondition | null): CompiledCondition | null {
    if (spec === null) return null;
    return new CompiledCondition(
      spec.pathMatches === null ? null : new RegExp(spec.pathMatches),
      spec.methodIs,
      spec.hasHeader === null ? null : spec.hasHeader.name,
      spec.hasHeader === null || spec.hasHeader.valueMatches === null ? null : new RegExp(spec.hasHeader.valueMatches),
      spec.status,
    );
  }

  matches(method: string, path: string, headers: readonly string[], status: number): boolean {
    if (this.methods !== null && !this.methods.includes(method)) return false;
    if (this.status !== null && !inRanges(this.status, status)) return false;
    if (this.path !== null && !this.path.test(path)) return false;
    return this.headerName === null || this.hasHeader(headers);
  }

  private hasHeader(headers: readonly string[]): boolean {
    const name = this.headerName;
    const value = this.headerValue;
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] !== name) continue;
      if (value === null || value.test(headers[i + 1])) return true;
    }
    return false;
  }
}

function inRanges(ranges: readonly StatusRange[], status: number): boolean {
  for (let i = 0; i < ranges.length; i++) {
    if (status >= ranges[i].from && status <= ranges[i].to) return true;
  }
  return false;
}
