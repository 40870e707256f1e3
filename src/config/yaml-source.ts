import { LineCounter, isScalar, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import type { Severity } from './model';
import { YamlPositions, type SourcePosition } from './yaml-positions';

export interface YamlProblem {
  readonly severity: Severity;
  readonly position: SourcePosition;
  readonly message: string;
  readonly hint: string | null;
}

export interface YamlSource {
  readonly positions: YamlPositions;
  /** `undefined` when the text is not usable YAML; validation cannot go further then. */
  readonly data: unknown;
  readonly problems: readonly YamlProblem[];
}

/**
 * Alias expansion is capped so a small file cannot blow up into a huge object ("billion laughs").
 */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses config text keeping source positions. Duplicate keys are reported but do not stop
 * validation (the rest of the file is still meaningful); any other YAML error does.
 */
export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  // merge: YAML `<<: *anchor` is common for sharing route settings, and Prox users may rely on it.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
  const positions = new YamlPositions(doc, lineCounter);
  const problems: YamlProblem[] = [
    ...doc.errors.map((e) => toProblem('error', e, doc, positions)),
    ...doc.warnings.map((e) => toProblem('warning', e, doc, positions)),
  ];
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { positions, data: undefined, problems };

  try {
    return { positions, data: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), problems };
  } catch (error) {
    const problem: YamlProblem = {
      severity: 'error',
      position: { line: 1, col: 1 },
      message: `cannot load YAML: ${(error as Error).message}`,
      hint: 'reduce the use of aliases (*name); each may be expanded only a limited number of times',
    };
    return { positions, data: undefined, problems: [...problems, problem] };
  }
}

function toProblem(severity: Severity, error: YAMLError, doc: Document, positions: YamlPositions): YamlProblem {
  const position = positions.ofOffset(error.pos[0]);
  if (error.code === 'DUPLICATE_KEY') {
    const key = keyAt(doc, error.pos[0]);
    return {
      severity,
      position,
      message: key === null ? 'duplicate key in mapping' : `duplicate key "${key}"`,
      hint: 'a key may appear only once in a mapping; the later entry would silently replace the earlier one',
    };
  }
  return { severity, position, message: `YAML syntax: ${error.message}`, hint: yamlHint(error) };
}

function yamlHint(error: YAMLError): string | null {
  switch (error.code) {
    case 'TAB_AS_INDENT':
      return 'indent with spaces; YAML does not allow tabs for indentation';
    case 'MULTIPLE_DOCS':
      return 'a config file holds a single YAML document; remove the extra "---" section';
    case 'BAD_INDENT':
    case 'MISSING_CHAR':
    case 'UNEXPECTED_TOKEN':
      return 'check indentation, brackets and quotes around this line';
    default:
      return null;
  }
}

function keyAt(doc: Document, offset: number): string | null {
  let found: string | null = null;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) {
        found = String(pair.key.value);
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}
