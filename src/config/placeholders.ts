import { closestMatch } from './did-you-mean';
import type { PlaceholderName, TemplatePart } from './model';

/**
 * Header values in header rules may carry placeholders, filled in per request: `{client_ip}`,
 * `{request_id}`, ... Braces are doubled for a literal brace: `{{` is `{` and `}}` is `}`; a
 * lone `}` is taken literally too, since it cannot start anything.
 */
export const PLACEHOLDER_NAMES: readonly PlaceholderName[] = [
  'client_ip',
  'timestamp',
  'timestamp_iso',
  'request_id',
  'host',
  'uri_path',
  'method',
  'route',
];

export interface TemplateProblem {
  readonly message: string;
  readonly hint: string;
}

const ESCAPE_HINT = 'write {{ for a literal { (and }} for a literal })';

/** The value split into literal text and placeholders; adjacent literal text is merged. */
export function parseTemplate(text: string): TemplatePart[] | TemplateProblem {
  const parts: TemplatePart[] = [];
  let literal = '';
  let i = 0;
  while (i < text.length) {
    const char = text[i]!;
    if (char === '}') {
      literal += '}';
      i += text[i + 1] === '}' ? 2 : 1;
      continue;
    }
    if (char !== '{') {
      literal += char;
      i++;
      continue;
    }
    if (text[i + 1] === '{') {
      literal += '{';
      i += 2;
      continue;
    }
    const close = text.indexOf('}', i + 1);
    if (close < 0) return { message: `"${text}" has a { that is never closed`, hint: ESCAPE_HINT };
    const name = text.slice(i + 1, close);
    if (!isPlaceholderName(name)) return unknownPlaceholder(name);
    if (literal.length > 0) parts.push({ kind: 'literal', text: literal });
    literal = '';
    parts.push({ kind: 'placeholder', name });
    i = close + 1;
  }
  if (literal.length > 0 || parts.length === 0) parts.push({ kind: 'literal', text: literal });
  return parts;
}

export function isTemplateProblem(parsed: TemplatePart[] | TemplateProblem): parsed is TemplateProblem {
  return !Array.isArray(parsed);
}

function isPlaceholderName(name: string): name is PlaceholderName {
  return (PLACEHOLDER_NAMES as readonly string[]).includes(name);
}

function unknownPlaceholder(name: string): TemplateProblem {
  const suggestion = closestMatch(name, PLACEHOLDER_NAMES);
  const known = PLACEHOLDER_NAMES.map((n) => `{${n}}`).join(', ');
  return {
    message: `unknown placeholder {${name}}`,
    hint: suggestion ? `did you mean {${suggestion}}? (${ESCAPE_HINT})` : `known placeholders: ${known}; ${ESCAPE_HINT}`,
  };
}
