import { parse as parseToml, TomlError } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { apexHttp } from './apex-http';
import { apexTcp } from './apex-tcp';
import { connx } from './connx';
import { isRecord, type Conversion, type ForeignFormat } from './foreign-format';

/**
 * The other proxies' config files prox runs as they are, tried in order on documents of their
 * syntax; a TOML document no entry recognises is refused.
 */
export const FOREIGN_FORMATS: readonly ForeignFormat[] = [apexTcp, apexHttp, connx];

export type Detection =
  | { readonly kind: 'prox' }
  | { readonly kind: 'foreign'; readonly format: ForeignFormat; readonly conversion: Conversion }
  | { readonly kind: 'unrecognised'; readonly message: string; readonly line: number; readonly col: number };

/** Which format `text` is in: prox's own YAML (the default), or one of FOREIGN_FORMATS, converted. */
export function detectFormat(text: string, file: string): Detection {
  if (/\.toml$/i.test(file)) {
    let document: unknown;
    try {
      document = parseToml(text);
    } catch (error) {
      const at = error instanceof TomlError ? { line: error.line, col: error.column } : { line: 0, col: 0 };
      return { kind: 'unrecognised', message: `invalid TOML: ${(error as Error).message.split('\n')[0]}`, ...at };
    }
    return convertWith(document, 'toml') ?? { kind: 'unrecognised', message: `TOML file in no format prox knows (known: ${titles('toml')})`, line: 0, col: 0 };
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch {
    // Broken YAML: prox's own loader reports it with positions.
    return { kind: 'prox' };
  }
  return convertWith(document, 'yaml') ?? { kind: 'prox' };
}

function convertWith(document: unknown, syntax: ForeignFormat['syntax']): Detection | null {
  if (!isRecord(document)) return null;
  const format = FOREIGN_FORMATS.find((f) => f.syntax === syntax && f.recognises(document));
  if (format === undefined) return null;
  return { kind: 'foreign', format, conversion: withProxOverlay(format.toProx(document), document['prox']) };
}

/**
 * A `prox` table (TOML) or mapping (YAML) in the foreign file holds prox settings the other
 * format lacks (admin, trusted_proxies, ...): its top-level keys replace the converted ones.
 */
function withProxOverlay(conversion: Conversion, overlay: unknown): Conversion {
  if (!isRecord(overlay)) return conversion;
  const overlaid = new Set(Object.keys(overlay));
  const converted = conversion.sourcePath ?? ((path: readonly string[]) => path);
  return {
    config: { ...conversion.config, ...overlay },
    notes: conversion.notes,
    sourcePath: (path) => (path.length > 0 && overlaid.has(path[0]!) ? ['prox', ...path] : converted(path)),
  };
}

function titles(syntax: ForeignFormat['syntax']): string {
  return FOREIGN_FORMATS.filter((f) => f.syntax === syntax)
    .map((f) => f.title)
    .join(', ');
}
