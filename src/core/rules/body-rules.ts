import type { BodyRuleSpec } from '../model';
import { CompiledCondition } from './condition';

const encoder = new TextEncoder();

/** A replacement body, encoded once at config load. */
export class BodyReplacement {
  readonly bytes: Uint8Array;
  /** `bytes.byteLength` as a header value. */
  readonly contentLength: string;

  constructor(
    readonly condition: CompiledCondition | null,
    text: string,
    readonly contentType: string,
  ) {
    this.bytes = encoder.encode(text);
    this.contentLength = String(this.bytes.byteLength);
  }
}

/** A route's body rules for one direction: the first whose condition matches is used. */
export class BodyRuleSet {
  private constructor(private readonly rules: readonly BodyReplacement[]) {}

  /** Null when there are no rules, so a route without any pays only a null check. */
  static compile(specs: readonly BodyRuleSpec[]): BodyRuleSet | null {
    if (specs.length === 0) return null;
    return new BodyRuleSet(specs.map((spec) => new BodyReplacement(CompiledCondition.compile(spec.condition), spec.body, spec.contentType)));
  }

  select(method: string, path: string, conditionHeaders: readonly string[], status: number): BodyReplacement | null {
    const rules = this.rules;
    for (let i = 0; i < rules.length; i++) {
      const condition = rules[i].condition;
      if (condition === null || condition.matches(method, path, conditionHeaders, status)) return rules[i];
    }
    return null;
  }
}
