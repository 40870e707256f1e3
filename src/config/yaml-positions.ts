import { Document, LineCounter, Node, Pair, isAlias, isMap, isScalar, isSeq } from 'yaml';
import type { ConfigPath } from './config-path';

/** 1-based line and column. */
export interface SourcePosition {
  readonly line: number;
  readonly col: number;
}

/**
 * `key` points at the map key that introduces the path's last segment (the place to fix an
 * unknown or misplaced field); `value` points at the value itself (the place to fix a bad value).
 */
export type Anchor = 'key' | 'value';

const DOCUMENT_START: SourcePosition = { line: 1, col: 1 };

/** Where a config path was written in the file the user edits (YAML, or the TOML of another format). */
export interface SourcePositions {
  locate(path: ConfigPath, anchor?: Anchor): SourcePosition;
}

/**
 * Maps config paths back to where they were written, so every diagnostic can say `file:line:col`.
 *
 * A path that does not exist in the source (e.g. a missing required field) resolves to the
 * deepest part of it that does, which is where the user has to add the missing piece.
 */
export class YamlPositions implements SourcePositions {
  constructor(
    private readonly doc: Document,
    private readonly lineCounter: LineCounter,
  ) {}

  ofOffset(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, col };
  }

  locate(path: ConfigPath, anchor: Anchor = 'value'): SourcePosition {
    let node: unknown = this.doc.contents;
    let position = this.startOf(node) ?? DOCUMENT_START;

    for (let i = 0; i < path.length; i++) {
      node = this.resolveAlias(node);
      const segment = path[i]!;
      let pair: Pair | null = null;
      let next: unknown;
      if (isMap(node)) {
        pair = this.findPair(node.items, segment);
        next = pair?.value;
      } else if (isSeq(node) && /^[0-9]+$/.test(segment)) {
        next = node.items[Number(segment)];
      }
      if (pair === null && next === undefined) return position;

      const keyPosition = pair ? this.startOf(pair.key) : null;
      const valuePosition = this.startOf(next);
      const wantsKey = anchor === 'key' && i === path.length - 1;
      position = (wantsKey ? (keyPosition ?? valuePosition) : (valuePosition ?? keyPosition)) ?? position;
      node = next;
    }
    return position;
  }

  /** Also looks through YAML merge keys (`<<: *base`), where inherited fields are written. */
  private findPair(items: readonly Pair[], segment: string, depth = 0): Pair | null {
    for (const pair of items) {
      if (isScalar(pair.key) && typeof pair.key.value !== 'symbol' && String(pair.key.value) === segment) {
        return pair;
      }
    }
    if (depth > 8) return null;
    for (const pair of items) {
      if (!isScalar(pair.key) || pair.key.source !== '<<') continue;
      const sources = isSeq(pair.value) ? pair.value.items : [pair.value];
      for (const source of sources) {
        const merged = this.resolveAlias(source);
        if (isMap(merged)) {
          const found = this.findPair(merged.items as Pair[], segment, depth + 1);
          if (found) return found;
        }
      }
    }
    return null;
  }

  private resolveAlias(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  private startOf(node: unknown): SourcePosition | null {
    const range = (node as Node | null | undefined)?.range;
    return range ? this.ofOffset(range[0]) : null;
  }
}
