import type { BodyRuleSpec, HeaderRuleSpec, HeaderValueRule, MessageRulesSpec, RuleCondition, StatusRange } from './model';
import { isTemplateProblem, parseTemplate } from './placeholders';
import type { RawBodyRule, RawCondition, RawHeaderRule, RawRoute } from './raw-config';
import { isStatusRangeProblem, parseStatusRanges } from './status-ranges';

export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
export const JSON_CONTENT_TYPE = 'application/json';

/** A route's header and body rules in model form: names lower-cased, values parsed into templates. */
export function messageRules(route: RawRoute): MessageRulesSpec {
  return {
    requestHeaders: listOf(route.request_headers).map(headerRule),
    responseHeaders: listOf(route.response_headers).map(headerRule),
    requestBody: listOf(route.request_body).map(bodyRule),
    responseBody: listOf(route.response_body).map(bodyRule),
  };
}

/** A rule may be written as one block or (prox extension) a list of blocks. */
function listOf<T>(written: T | readonly T[] | undefined): readonly T[] {
  if (written === undefined) return [];
  return Array.isArray(written) ? (written as readonly T[]) : [written as T];
}

function headerRule(raw: RawHeaderRule): HeaderRuleSpec {
  return {
    condition: raw.condition === undefined ? null : condition(raw.condition),
    remove: (raw.remove ?? []).map((name) => name.toLowerCase()),
    add: valueRules(raw.add),
    append: valueRules(raw.append),
  };
}

function valueRules(written: Readonly<Record<string, string>> | undefined): HeaderValueRule[] {
  return Object.entries(written ?? {}).map(([name, text]) => {
    const parsed = parseTemplate(text);
    if (isTemplateProblem(parsed)) throw new Error(`unvalidated header value reached normalise: ${parsed.message}`);
    return { name: name.toLowerCase(), value: parsed };
  });
}

function bodyRule(raw: RawBodyRule): BodyRuleSpec {
  const when = raw.condition === undefined ? null : condition(raw.condition);
  if (raw.set_text !== undefined) return { condition: when, body: raw.set_text, contentType: TEXT_CONTENT_TYPE };
  if ('set_json' in raw) return { condition: when, body: JSON.stringify(raw.set_json ?? null), contentType: JSON_CONTENT_TYPE };
  throw new Error('unvalidated body rule reached normalise without set_text or set_json');
}

function condition(raw: RawCondition): RuleCondition {
  const methods = raw.method_is === undefined ? null : typeof raw.method_is === 'string' ? [raw.method_is] : raw.method_is;
  return {
    pathMatches: raw.path_matches ?? null,
    methodIs: methods === null ? null : methods.map((method) => method.toUpperCase()),
    hasHeader:
      raw.has_header === undefined
        ? null
        : { name: raw.has_header.name.toLowerCase(), valueMatches: raw.has_header.value_matches ?? null },
    status: raw.status === undefined ? null : statusRanges(raw.status),
  };
}

function statusRanges(written: number | string | readonly (number | string)[]): StatusRange[] {
  const items = Array.isArray(written) ? (written as readonly (number | string)[]) : [written as number | string];
  const ranges: StatusRange[] = [];
  for (const item of items) {
    const parsed = parseStatusRanges(item);
    if (isStatusRangeProblem(parsed)) throw new Error(`unvalidated status condition reached normalise: ${parsed.message}`);
    ranges.push(...parsed);
  }
  return ranges;
}
