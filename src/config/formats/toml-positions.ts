import type { ConfigPath } from '../config-path';
import type { Anchor, SourcePosition, SourcePositions } from '../yaml-positions';

const DOCUMENT_START: SourcePosition = { line: 1, col: 1 };
const BARE_KEY = /[A-Za-z0-9_-]/;

/**
 * Where each key path of a TOML file is written, so diagnostics about a TOML config point at its
 * lines. smol-toml (which parses the values) keeps no positions; this scanner only walks the
 * syntax of a document that smol-toml has already accepted, recording keys, table headers
 * (`[a.b]`, `[[a]]` with their index) and array elements.
 */
export class TomlPositions implements SourcePositions {
  private readonly entries = new Map<string, { key: number; value: number }>();
  private readonly lineStarts: number[] = [0];

  constructor(text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
    new TomlScanner(text, (path, key, value) => {
      const id = pathKey(path);
      if (!this.entries.has(id)) this.entries.set(id, { key, value });
    }).scan();
  }

  /** Like YamlPositions: a path not written resolves to its deepest written part. */
  locate(path: ConfigPath, anchor: Anchor = 'value'): SourcePosition {
    for (let length = path.length; length > 0; length--) {
      const entry = this.entries.get(pathKey(path.slice(0, length)));
      if (entry !== undefined) return this.ofOffset(anchor === 'key' && length === path.length ? entry.key : entry.value);
    }
    return DOCUMENT_START;
  }

  private ofOffset(offset: number): SourcePosition {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return { line: low + 1, col: offset - this.lineStarts[low]! + 1 };
  }
}

function pathKey(path: readonly string[]): string {
  return path.join('\u0000');
}

type RecordPosition = (path: readonly string[], keyOffset: number, valueOffset: number) => void;

class TomlScanner {
  private i = 0;
  private table: string[] = [];
  /** Entries so far of each array of tables (`[[a]]`), by its expanded path. */
  private readonly arrayTables = new Map<string, number>();

  constructor(
    private readonly s: string,
    private readonly record: RecordPosition,
  ) {}

  scan(): void {
    while (this.i < this.s.length) {
      const before = this.i;
      this.skipBlank(true);
      if (this.i >= this.s.length) break;
      if (this.s[this.i] === '[') this.header();
      else this.keyValue(this.table);
      // Valid TOML always moves on; this only guards against looping on what it cannot read.
      if (this.i === before) this.i++;
    }
  }

  private header(): void {
    const at = this.i;
    const isArray = this.s.startsWith('[[', this.i);
    this.i += isArray ? 2 : 1;
    const keys = this.readKey();
    this.skipBlank(false);
    this.i += isArray ? 2 : 1;
    const path: string[] = [];
    keys.forEach((key, index) => {
      path.push(key);
      const id = pathKey(path);
      if (isArray && index === keys.length - 1) {
        const count = this.arrayTables.get(id) ?? 0;
        this.arrayTables.set(id, count + 1);
        this.record(path, at, at);
        path.push(String(count));
      } else if (this.arrayTables.has(id)) {
        path.push(String(this.arrayTables.get(id)! - 1));
      }
    });
    this.table = path;
    this.record(path, at, at);
  }

  private keyValue(base: readonly string[]): void {
    const keyAt = this.i;
    const keys = this.readKey();
    if (keys.length === 0) return;
    this.skipBlank(false);
    if (this.s[this.i] !== '=') return;
    this.i++;
    this.skipBlank(false);
    const path = [...base, ...keys];
    // Dotted keys (`a.b = 1`) define the tables on their way.
    for (let length = base.length + 1; length < path.length; length++) this.record(path.slice(0, length), keyAt, keyAt);
    this.value(path, keyAt);
  }

  private value(path: readonly string[], keyAt: number): void {
    const s = this.s;
    this.record(path, keyAt, this.i);
    const first = s[this.i];
    if (first === '[') {
      this.i++;
      for (let index = 0; ; index++) {
        this.skipBlank(true);
        if (this.i >= s.length) return;
        if (s[this.i] === ']') break;
        const at = this.i;
        this.value([...path, String(index)], at);
        this.skipBlank(true);
        if (s[this.i] === ',') this.i++;
        if (this.i === at) return;
      }
      this.i++;
    } else if (first === '{') {
      this.i++;
      for (;;) {
        this.skipBlank(true);
        if (this.i >= s.length) return;
        if (s[this.i] === '}') break;
        const at = this.i;
        this.keyValue(path);
        this.skipBlank(true);
        if (s[this.i] === ',') this.i++;
        if (this.i === at) return;
      }
      this.i++;
    } else if (first === '"' || first === "'") {
      this.skipString();
    } else {
      // Numbers, booleans, dates and times (which may hold a space): up to the next delimiter.
      while (this.i < s.length && !',]}#\r\n'.includes(s[this.i]!)) this.i++;
    }
  }

  /** A dotted key: bare, "basic" or 'literal' parts. */
  private readKey(): string[] {
    const s = this.s;
    const keys: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const start = this.i;
      if (s[this.i] === '"' || s[this.i] === "'") {
        this.skipString();
        keys.push(unquote(s.slice(start, this.i)));
      } else {
        while (this.i < s.length && BARE_KEY.test(s[this.i]!)) this.i++;
        if (this.i === start) return keys;
        keys.push(s.slice(start, this.i));
      }
      this.skipBlank(false);
      if (s[this.i] !== '.') return keys;
      this.i++;
    }
  }

  private skipString(): void {
    const s = this.s;
    const quote = s[this.i]!;
    const triple = quote.repeat(3);
    if (s.startsWith(triple, this.i)) {
      this.i += 3;
      for (;;) {
        if (this.i >= s.length) return;
        if (quote === '"' && s[this.i] === '\\') this.i += 2;
        else if (s.startsWith(triple, this.i)) break;
        else this.i++;
      }
      this.i += 3;
      // Up to two quotes may end the content right before the closing three.
      for (let extra = 0; extra < 2 && s[this.i] === quote; extra++) this.i++;
      return;
    }
    this.i++;
    while (this.i < s.length && s[this.i] !== quote && s[this.i] !== '\n') this.i += quote === '"' && s[this.i] === '\\' ? 2 : 1;
    this.i++;
  }

  /** Spaces and comments; with `newlines`, line breaks too. */
  private skipBlank(newlines: boolean): void {
    const s = this.s;
    while (this.i < s.length) {
      const c = s[this.i]!;
      if (c === ' ' || c === '\t') this.i++;
      else if (newlines && (c === '\n' || c === '\r')) this.i++;
      else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n') this.i++;
        if (!newlines) return;
      } else return;
    }
  }
}

/** A quoted key's text ("basic" keys with JSON-like escapes, 'literal' ones verbatim). */
function unquote(quoted: string): string {
  if (quoted.startsWith("'")) return quoted.slice(1, -1);
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}
