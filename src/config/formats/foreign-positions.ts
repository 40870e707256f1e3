import type { ConfigPath } from '../config-path';
import { parseYamlSource } from '../yaml-source';
import type { SourcePositions } from '../yaml-positions';
import type { Conversion, ForeignFormat } from './foreign-format';
import { TomlPositions } from './toml-positions';

/**
 * Positions in another proxy's file for findings about the prox config it converts to: each
 * path goes back to where the format read it from, then to its line in the original text.
 */
export function foreignFilePositions(text: string, format: ForeignFormat, conversion: Conversion): SourcePositions {
  const original: SourcePositions = format.syntax === 'toml' ? new TomlPositions(text) : parseYamlSource(text).positions;
  const toSource = conversion.sourcePath ?? ((path: ConfigPath) => path);
  return { locate: (path, anchor) => original.locate(toSource(path), anchor) };
}
