import type { ErrorObject } from 'ajv';
import { fromPointer, type ConfigPath } from './config-path';
import { closestMatch } from './did-you-mean';
import type { DiagnosticList } from './diagnostics';
import { asRecord } from './raw-config';
import { describeField, routeTypesAccepting } from './schema';

/** Rules about a value's content, pointless to report once its type is already wrong. */
const VALUE_RULES = new Set([
  'enum',
  'const',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minLength',
  'minItems',
  'minProperties',
]);

/**
 * Turns ajv's schema errors into diagnostics people can act on: the message names the problem
 * in config terms, the position is the offending YAML node, the hint says how to fix it.
 */
export function reportSchemaErrors(errors: readonly ErrorObject[], data: unknown, out: DiagnosticList): void {
  const wrongType = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const error of errors) {
    const at = fromPointer(error.instancePath);
    if (wrongType.has(error.instancePath) && VALUE_RULES.has(error.keyword)) continue;
    switch (error.keyword) {
      case 'if':
      case 'propertyNames':
        // Both only wrap the real, more specific error, which ajv reports separately.
        break;
      case 'additionalProperties':
        reportUnknownField(error, at, out);
        break;
      case 'required':
        reportMissingField(error, at, data, out);
        break;
      case 'false schema':
        reportMisplacedRouteField(at, data, out);
        break;
      case 'dependencies': {
        const present = String(error.params['property']);
        const missing = String(error.params['missingProperty']);
        out.error([...at, present], `"${present}" also needs "${missing}"`, {
          anchor: 'key',
          hint: `add "${missing}" next to "${present}"`,
        });
        break;
      }
      case 'type':
        reportWrongType(error, at, out);
        break;
      case 'enum':
        reportNotInEnum(error, at, out);
        break;
      default:
        reportOtherValueError(error, at, out);
    }
  }
}

function fieldName(at: ConfigPath): string {
  return at[at.length - 1] ?? '(document)';
}

const LIST_INDEX = /^[0-9]+$/;

/** `rate_limit`, or `targets[0]` for a list item, whose own name is just its index. */
function fieldLabel(at: ConfigPath): string {
  const name = fieldName(at);
  return LIST_INDEX.test(name) && at.length > 1 ? `${at[at.length - 2]}[${name}]` : name;
}

/** How the fix is written in YAML: `field: value`, or just the value for a list item. */
function writtenAs(at: ConfigPath, value: string): string {
  return LIST_INDEX.test(fieldName(at)) ? value : `${fieldName(at)}: ${value}`;
}

function quote(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function reportUnknownField(error: ErrorObject, at: ConfigPath, out: DiagnosticList): void {
  const field = String(error.params['additionalProperty']);
  const known = Object.keys(asRecord(error.parentSchema?.['properties']) ?? {});
  const suggestion = closestMatch(field, known);
  let hint: string;
  if (suggestion) hint = `did you mean "${suggestion}"?`;
  else if (at.length === 0 && field.startsWith('/')) hint = 'routes belong under the "routes:" mapping';
  else hint = `known fields here: ${known.join(', ')}`;
  out.error([...at, field], `unknown field "${field}"`, { anchor: 'key', hint });
}

function routeTypeAt(data: unknown, routePath: ConfigPath): string | null {
  let node: unknown = data;
  for (const segment of routePath) node = asRecord(node)?.[segment];
  const type = asRecord(node)?.['type'];
  return typeof type === 'string' ? type : null;
}

function isRoutePath(at: ConfigPath): boolean {
  return at.length === 2 && at[0] === 'routes';
}

function reportMissingField(error: ErrorObject, at: ConfigPath, data: unknown, out: DiagnosticList): void {
  const missing = String(error.params['missingProperty']);
  const routeType = isRoutePath(at) ? routeTypeAt(data, at) : null;
  const message = routeType
    ? `"${routeType}" routes need "${missing}"`
    : `missing required field "${missing}"${at.length > 0 ? ` in ${fieldLabel(at)}` : ''}`;
  out.error(at, message, { anchor: 'key', hint: describeField([...at, missing]) });
}

function reportMisplacedRouteField(at: ConfigPath, data: unknown, out: DiagnosticList): void {
  const field = fieldName(at);
  const routeType = routeTypeAt(data, at.slice(0, -1)) ?? 'this';
  const accepting = routeTypesAccepting(field);
  const hint =
    accepting.length > 0
      ? `"${field}" applies to ${accepting.join(', ')} routes; remove it or change the route type`
      : `remove "${field}"`;
  out.error(at, `"${field}" does not apply to "${routeType}" routes`, { anchor: 'key', hint });
}

const NUMERIC_TEXT = /^\s*-?[0-9]+(\.[0-9]+)?\s*$/;

function reportWrongType(error: ErrorObject, at: ConfigPath, out: DiagnosticList): void {
  if (at.length === 0) {
    const message =
      error.data === null ? 'the config file is empty' : `the config must be a mapping of settings, got ${describeJsonType(error.data)}`;
    out.error(at, message, { hint: 'a config needs at least "listen_addr:" and "routes:"' });
    return;
  }
  const expected = ([] as string[]).concat(error.params['type'] as string | string[]);
  const actual = describeJsonType(error.data);
  const expectedText = expected.map(typeNoun).join(' or ');
  let hint = describeField(at);
  if (typeof error.data === 'string') {
    const wantsNumber = expected.includes('integer') || expected.includes('number');
    if (wantsNumber && NUMERIC_TEXT.test(error.data)) hint = `remove the quotes: ${writtenAs(at, error.data.trim())}`;
    if (expected.includes('boolean') && /^(true|false)$/i.test(error.data.trim())) {
      hint = `remove the quotes: ${writtenAs(at, error.data.trim().toLowerCase())}`;
    }
  } else if (expected.includes('string') && (typeof error.data === 'number' || typeof error.data === 'boolean')) {
    hint = `quote the value: ${writtenAs(at, `"${String(error.data)}"`)}`;
  }
  out.error(at, `expected ${expectedText}, got ${actual}`, { hint });
}

function typeNoun(type: string): string {
  switch (type) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'a whole number';
    case 'null':
      return 'null';
    default:
      return `a ${type}`;
  }
}

function describeJsonType(value: unknown): string {
  if (value === null) return 'null (empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'number') return `the number ${value}`;
  return `${typeof value} ${quote(value)}`;
}

function reportNotInEnum(error: ErrorObject, at: ConfigPath, out: DiagnosticList): void {
  // Values accepted in two spellings (502 and "502") are listed once.
  const allowed = [...new Set((error.params['allowedValues'] as unknown[]).map(String))];
  const refusal = refusedOnPurpose(at, error.data);
  if (refusal !== null) return out.error(at, `${quote(error.data)} is refused: ${refusal.why}`, { hint: refusal.hint });
  const suggestion = typeof error.data === 'string' ? closestMatch(error.data, allowed) : null;
  out.error(at, `${quote(error.data)} is not one of ${allowed.join(', ')}`, {
    hint: suggestion ? `did you mean "${suggestion}"?` : describeField(at),
  });
}

/** Values left out of an enum for safety, where "did you mean" would point at the wrong fix. */
function refusedOnPurpose(at: ConfigPath, value: unknown): { why: string; hint: string } | null {
  const isJwtAlgorithm = at.length >= 3 && at[at.length - 2] === 'algorithms' && at[at.length - 3] === 'jwt';
  if (!isJwtAlgorithm || typeof value !== 'string') return null;
  if (value.toLowerCase() === 'none') return { why: 'unsigned tokens prove nothing', hint: 'list the asymmetric algorithms your identity provider signs with, e.g. [RS256, ES256]' };
  if (/^hs(256|384|512)$/i.test(value)) {
    return { why: 'HMAC algorithms need a shared secret, and a public key set must never serve as one', hint: 'have the identity provider sign with RS256, PS256, ES256 or EdDSA and list that algorithm' };
  }
  return null;
}

function reportOtherValueError(error: ErrorObject, at: ConfigPath, out: DiagnosticList): void {
  const params = error.params;
  const description = describeField(at);
  switch (error.keyword) {
    case 'pattern':
      if (error.propertyName !== undefined && at[at.length - 1] === 'errors') {
        const name = error.propertyName;
        out.error([...at, name], `"${name}" is not an error status`, {
          anchor: 'key',
          hint: 'error pages are keyed by HTTP status codes from 400 to 599, e.g. 502',
        });
      } else if (error.propertyName !== undefined) {
        const name = error.propertyName;
        out.error([...at, name], `"${name}" is not a valid header name`, {
          anchor: 'key',
          hint: 'header names are letters, digits and - (no spaces or colons)',
        });
      } else {
        out.error(at, `${quote(error.data)} is not a valid ${fieldLabel(at)}`, { hint: description });
      }
      return;
    case 'format':
      out.error(at, `${quote(error.data)} is not a valid ${params['format'] === 'email' ? 'email address' : 'URL'}`, {
        hint: description,
      });
      return;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      out.error(at, `must be ${params['comparison']} ${params['limit']} (got ${quote(error.data)})`, {
        hint: description,
      });
      return;
    case 'minLength':
      out.error(at, 'must not be empty', { hint: description });
      return;
    case 'minItems':
      out.error(at, `must list at least ${params['limit']} item${params['limit'] === 1 ? '' : 's'}`, {
        hint: description,
      });
      return;
    case 'maxProperties':
      reportTooManyFields(error, at, out);
      return;
    case 'minProperties':
      out.error(at, at.length === 1 && at[0] === 'routes' ? 'at least one route is required' : 'must not be empty', {
        anchor: 'key',
        hint: description,
      });
      return;
    default:
      out.error(at, error.message ?? `failed schema rule "${error.keyword}"`, { hint: description });
  }
}

/** An object holding more fields than it may (`auth` takes one scheme): names what was found. */
function reportTooManyFields(error: ErrorObject, at: ConfigPath, out: DiagnosticList): void {
  const found = Object.keys(asRecord(error.data) ?? {});
  const limit = Number(error.params['limit']);
  const what = fieldName(at) === 'auth' ? `one scheme per route` : `at most ${limit} field${limit === 1 ? '' : 's'}`;
  out.error(at, `${fieldName(at)} takes ${what}; found ${found.join(', ')}`, {
    anchor: 'key',
    hint: fieldName(at) === 'auth' ? 'keep one of basic, jwt and forward; put routes with other schemes under their own path' : describeField(at),
  });
}
