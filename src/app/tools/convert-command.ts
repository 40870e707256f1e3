import { readFile } from 'node:fs/promises';
import { conversionToYaml } from '../../config/formats/convert';
import { detectFormat } from '../../config/formats/detect';
import type { ToolIo } from './explain-command';

/** Exit codes of `prox convert`. */
export const CONVERT_EXIT = { converted: 0, alreadyProx: 1, error: 2 } as const;

/** `prox convert FILE`: another proxy's config as the prox YAML it runs as, loose mappings commented. */
export async function convertFile(file: string, io: ToolIo): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    io.err(`${file}: cannot read: ${(error as Error).message}`);
    return CONVERT_EXIT.error;
  }
  const detected = detectFormat(text, file);
  switch (detected.kind) {
    case 'prox':
      io.err(`${file}: already prox YAML (or in no format prox knows); nothing to convert`);
      return CONVERT_EXIT.alreadyProx;
    case 'unrecognised':
      io.err(`${file}:${detected.line}:${detected.col}  ${detected.message}`);
      return CONVERT_EXIT.error;
    case 'foreign':
      io.out(conversionToYaml(detected.conversion, `prox config converted from ${detected.format.title} (${file}) by prox convert`).trimEnd());
      return CONVERT_EXIT.converted;
  }
}
