import type { HeaderRuleSpec, HeaderValueRule } from '../model';
import { CompiledCondition } from './condition';
import { PlaceholderValues, ValueTemplate } from './template';

interface CompiledHeaderValue {
  readonly name: string;
  readonly value: ValueTemplate;
}

/** One block: remove, then add (which first removes every header of its name), then append. */
class HeaderRule {
  private constructor(
    readonly condition: CompiledCondition | null,
    /** Names removed before anything is added: `remove` plus the names `add` replaces. */
    private readonly dropped: ReadonlySet<string> | null,
    private readonly adds: readonly CompiledHeaderValue[],
    private readonly appends: readonly CompiledHeaderValue[],
  ) {}

  static compile(spec: HeaderRuleSpec): HeaderRule {
    const dropped = new Set([...spec.remove, ...spec.add.map((rule) => rule.name)]);
    const compileValue = (rule: HeaderValueRule): CompiledHeaderValue => ({ name: rule.name, value: ValueTemplate.compile(rule.value) });
    return new HeaderRule(
      CompiledCondition.compile(spec.condition),
      dropped.size === 0 ? null : dropped,
      spec.add.map(compileValue),
      spec.append.map(compileValue),
    );
  }

  /** Edits `headers` (flat, lower-case names) in place. */
  apply(headers: string[], values: PlaceholderValues): void {
    if (this.dropped !== null) removeHeaders(headers, this.dropped);
    const adds = this.adds;
    for (let i = 0; i < adds.length; i++) headers.push(adds[i].name, adds[i].value.render(values));
    const appends = this.appends;
    for (let i = 0; i < appends.length; i++) headers.push(appends[i].name, appends[i].value.render(values));
  }
}

/** A route's header rules for one direction, applied in the order written. */
export class HeaderRuleSet {
  private constructor(private readonly rules: readonly HeaderRule[]) {}

  /** Null when there are no rules, so a route without any pays only a null check. */
  static compile(specs: readonly HeaderRuleSpec[]): HeaderRuleSet | null {
    return specs.length === 0 ? null : new HeaderRuleSet(specs.map((spec) => HeaderRule.compile(spec)));
  }

  /**
   * Edits `headers` in place. Conditions look at `conditionHeaders` (the client's request, or
   * the upstream's response as received), never at what an earlier block changed, so the
   * order of blocks decides only which edit wins, not which block applies.
   */
  apply(
    headers: string[],
    method: string,
    path: string,
    conditionHeaders: readonly string[],
    status: number,
    values: PlaceholderValues,
  ): void {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.condition === null || rule.condition.matches(method, path, conditionHeaders, status)) rule.apply(headers, values);
    }
  }
}

/** Removes, in place, every header whose (lower-case) name is in `names`. */
export function removeHeaders(headers: string[], names: ReadonlySet<string>): void {
  let kept = 0;
  for (let i = 0; i < headers.length; i += 2) {
    if (names.has(headers[i])) continue;
    headers[kept] = headers[i];
    headers[kept + 1] = headers[i + 1];
    kept += 2;
  }
  headers.length = kept;
}
