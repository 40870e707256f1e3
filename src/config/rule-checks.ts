import type { ConfigPath } from './config-path';
import type { DiagnosticList } from './diagnostics';
import { isTemplateProblem, parseTemplate } from './placeholders';
import { asRecord, asString } from './raw-config';
import { isStatusRangeProblem, parseStatusRanges } from './status-ranges';

type Fields = Readonly<Record<string, unknown>>;
type Direction = 'request' | 'response';

/** Headers that frame the message or describe one connection: prox owns them. */
const FRAMING_HEADERS = new Set(['content-length', 'transfer-encoding']);
const CONNECTION_HEADERS = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade']);

/** Tab, space and visible ASCII: anything else is either invalid in a header or ambiguous on the wire. */
const HEADER_VALUE_TEXT = /^[\t\x20-\x7e]*$/;

const HEADER_FIELDS: readonly [string, Direction][] = [
  ['request_headers', 'request'],
  ['response_headers', 'response'],
];
const BODY_FIELDS: readonly [string, Direction][] = [
  ['request_body', 'request'],
  ['response_body', 'response'],
];

/**
 * request_headers / response_headers / request_body / response_body: what the schema cannot
 * say. Regular expressions must compile, placeholders must exist, and no rule may touch a header
 * that frames the message or belongs to the connection.
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkMessageRules(config: Fields, out: DiagnosticList): void {
  for (const [key, value] of Object.entries(asRecord(config['routes']) ?? {})) {
    const route = asRecord(value);
    if (!route || (route['type'] !== 'proxy' && route['type'] !== 'load_balance')) continue;
    for (const [field, direction] of HEADER_FIELDS) {
      for (const [at, block] of blocksOf(['routes', key, field], route[field])) checkHeaderBlock(at, block, direction, out);
    }
    for (const [field, direction] of BODY_FIELDS) {
      for (const [at, block] of blocksOf(['routes', key, field], route[field])) checkBodyBlock(at, block, direction, out);
    }
  }
}

/** One block, or every block of a list, with its path. */
function blocksOf(at: ConfigPath, value: unknown): [ConfigPath, Fields][] {
  if (Array.isArray(value)) {
    const found: [ConfigPath, Fields][] = [];
    value.forEach((item: unknown, index) => {
      const block = asRecord(item);
      if (block) found.push([[...at, String(index)], block]);
    });
    return found;
  }
  const block = asRecord(value);
  return block ? [[at, block]] : [];
}

function checkHeaderBlock(at: ConfigPath, block: Fields, direction: Direction, out: DiagnosticList): void {
  checkCondition([...at, 'condition'], block['condition'], direction, out);
  const added = new Map<string, string>();
  for (const operation of ['add', 'append'] as const) {
    const values = asRecord(block[operation]);
    if (!values) continue;
    for (const [name, value] of Object.entries(values)) {
      const path = [...at, operation, name];
      checkHeaderName(path, name, operation, direction, out);
      const text = asString(value);
      if (text !== undefined) checkHeaderValue(path, text, out);
      if (operation !== 'add') continue;
      const lower = name.toLowerCase();
      const earlier = added.get(lower);
      if (earlier !== undefined) {
        out.error(path, `"${name}" is set twice in add (also as "${earlier}")`, {
          anchor: 'key',
          hint: 'header names ignore letter case; keep one entry, or use append for a second value',
        });
      } else {
        added.set(lower, name);
      }
    }
  }
  const remove = block['remove'];
  if (Array.isArray(remove)) {
    remove.forEach((name: unknown, index) => {
      if (typeof name === 'string') checkHeaderName([...at, 'remove', String(index)], name, 'remove', direction, out);
    });
  }
}

function checkHeaderName(at: ConfigPath, name: string, operation: 'add' | 'append' | 'remove', direction: Direction, out: DiagnosticList): void {
  const lower = name.toLowerCase();
  const anchor = operation === 'remove' ? 'value' : 'key';
  if (FRAMING_HEADERS.has(lower)) {
    out.error(at, `header rules cannot ${operation} ${name}`, {
      anchor,
      hint: 'prox frames the body itself and sets Content-Length / Transfer-Encoding to match; to change a body use request_body or response_body',
    });
  } else if (CONNECTION_HEADERS.has(lower)) {
    out.error(at, `header rules cannot ${operation} ${name}: it describes one connection, not the message`, {
      anchor,
      hint: 'connection, keep-alive, proxy-connection, te, trailer and upgrade are hop-by-hop headers that prox never forwards; remove this entry',
    });
  } else if (direction === 'request' && lower === 'host' && operation !== 'add') {
    out.error(at, `request rules cannot ${operation} Host: every HTTP/1.1 request has exactly one`, {
      anchor,
      hint: 'use add to replace the Host sent upstream (it overrides preserve_host)',
    });
  } else if (direction === 'request' && lower === 'expect') {
    out.error(at, `request rules cannot ${operation} Expect`, {
      anchor,
      hint: 'prox answers Expect: 100-continue itself and never forwards Expect; remove this entry',
    });
  } else if (direction === 'response' && lower === 'date') {
    out.error(at, `response rules cannot ${operation} Date`, {
      anchor,
      hint: 'prox stamps every response with its own Date header; remove this entry',
    });
  }
}

function checkHeaderValue(at: ConfigPath, text: string, out: DiagnosticList): void {
  const parsed = parseTemplate(text);
  if (isTemplateProblem(parsed)) {
    out.error(at, parsed.message, { hint: parsed.hint });
    return;
  }
  if (!HEADER_VALUE_TEXT.test(text)) {
    const bad = [...text].find((char) => !HEADER_VALUE_TEXT.test(char)) ?? '';
    const shown = bad === '\r' ? 'a carriage return' : bad === '\n' ? 'a line break' : `the character ${JSON.stringify(bad)}`;
    out.error(at, `header value contains ${shown}`, {
      hint: 'header values may hold only visible ASCII characters, spaces and tabs; a line break would split the message',
    });
  }
}

function checkCondition(at: ConfigPath, value: unknown, direction: Direction, out: DiagnosticList): void {
  const condition = asRecord(value);
  if (!condition) return;
  checkRegex([...at, 'path_matches'], condition['path_matches'], out);
  const header = asRecord(condition['has_header']);
  if (header) checkRegex([...at, 'has_header', 'value_matches'], header['value_matches'], out);
  if (!('status' in condition)) return;
  if (direction === 'request') {
    out.error([...at, 'status'], 'status applies only to response rules: a request has no status yet', {
      anchor: 'key',
      hint: 'move this rule to response_headers / response_body, or remove status',
    });
    return;
  }
  const status = condition['status'];
  const items: unknown[] = Array.isArray(status) ? status : [status];
  items.forEach((item, index) => {
    if (typeof item !== 'string') return; // numbers are range-checked by the schema
    const parsed = parseStatusRanges(item);
    const path = Array.isArray(status) ? [...at, 'status', String(index)] : [...at, 'status'];
    if (isStatusRangeProblem(parsed)) out.error(path, parsed.message, { hint: parsed.hint });
  });
}

function checkRegex(at: ConfigPath, value: unknown, out: DiagnosticList): void {
  if (typeof value !== 'string') return;
  try {
    new RegExp(value);
  } catch (error) {
    out.error(at, `invalid regular expression: ${(error as Error).message.replace(/^Invalid regular expression: /, '')}`, {
      hint: 'JavaScript regular expression syntax; escape special characters such as ( [ . * + ? with \\ to match them literally',
    });
    return;
  }
  checkRegexComplexity(at, value, out);
}

/**
 * Rule regexes run on every matching request against client-chosen paths and header values:
 * one with super-linear backtracking (`(a+)+$`) lets a single request stall the event loop.
 * recheck (a maintained ReDoS checker) proves such patterns vulnerable at validate time.
 */
function checkRegexComplexity(at: ConfigPath, value: string, out: DiagnosticList): void {
  const diagnosis = recheck().checkSync(value, '');
  if (diagnosis.status === 'vulnerable') {
    out.error(at, `regular expression "${value}" can backtrack catastrophically (${diagnosis.complexity.summary} time in the input length)`, {
      hint: 'a crafted path or header value would stall prox; remove nested or overlapping repetition, e.g. (a+)+ → a+, (a|ab)* → (ab?)*, or anchor the pattern and use a plain prefix',
    });
  } else if (diagnosis.status === 'unknown') {
    out.warning(at, `regular expression "${value}" could not be proved free of catastrophic backtracking (${diagnosis.error.kind})`, {
      hint: 'simplify it: avoid nested or overlapping repetition',
    });
  }
}

/** Loaded on first use: its checker is large, and most configs have no rule regexes. */
function recheck(): typeof import('recheck') {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- deferred load, see above
  return require('recheck') as typeof import('recheck');
}

function checkBodyBlock(at: ConfigPath, block: Fields, direction: Direction, out: DiagnosticList): void {
  checkCondition([...at, 'condition'], block['condition'], direction, out);
  const hasText = 'set_text' in block;
  const hasJson = 'set_json' in block;
  if (hasText && hasJson) {
    out.error([...at, 'set_json'], '"set_text" and "set_json" cannot both be set', {
      anchor: 'key',
      hint: 'a body is replaced by one of them; keep only one',
    });
  } else if (!hasText && !hasJson) {
    out.error(at, 'a body rule needs set_text or set_json', {
      anchor: 'key',
      hint: 'set_text: replaces the body with text (text/plain); set_json: with a JSON value (application/json)',
    });
  }
}
