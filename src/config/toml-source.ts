import { parse, TomlError } from 'smol-toml';
import { apexTcpToRaw, isApexTcpConfig, unknownApexFields } from './formats/apex-tcp';
import type { Severity } from './model';

export interface ForeignSource {
  /** The prox raw config the file maps to; `undefined` when it cannot be used. */
  readonly data: unknown;
  readonly problems: readonly { readonly severity: Severity; readonly line: number; readonly col: number; readonly message: string; readonly hint: string | null }[];
}

/** Reads a `.toml` config: today the Apex TCP proxy's file (src/config/formats/apex-tcp.ts). */
export function parseTomlSource(text: string): ForeignSource {
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(text) as Record<string, unknown>;
  } catch (error) {
    const position = error instanceof TomlError ? { line: error.line, col: error.column } : { line: 0, col: 0 };
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    return { data: undefined, problems: [{ severity: 'error', ...position, message: `TOML syntax error: ${message}`, hint: null }] };
  }
  if (!isApexTcpConfig(parsed)) {
    return {
      data: undefined,
      problems: [
        {
          severity: 'error',
          line: 1,
          col: 1,
          message: 'this TOML file is not a config prox knows: it reads the Apex TCP proxy config.toml (backend_addrs = [...])',
          hint: 'write backend_addrs = ["127.0.0.1:9000"], or use a prox YAML config (docs/tcp.md)',
        },
      ],
    };
  }
  const problems = unknownApexFields(parsed).map((key) => ({
    severity: 'warning' as const,
    line: 0,
    col: 0,
    message: `"${key}" is not an Apex TCP field prox reads; it is ignored`,
    hint: 'an Apex config.toml has backend_addrs (and prox also reads listen_addr)',
  }));
  return { data: apexTcpToRaw(parsed), problems };
}
