/** A note on a value that maps onto prox loosely; `prox convert` prints it as a comment. */
export interface MappingNote {
  /** Where in the prox config it lands, as YAML keys (e.g. ['routes', '/api', 'strategy']); [] for the whole file. */
  readonly at: readonly string[];
  readonly message: string;
}

export interface Conversion {
  /** The prox config (raw, as its YAML would parse), checked by the usual validation. */
  readonly config: Record<string, unknown>;
  readonly notes: readonly MappingNote[];
  /**
   * Where in the foreign document a path of `config` was written (e.g. the Apex TCP file's
   * `backend_addrs/1` for `tcp/0/backend_addrs/1`), so diagnostics point at the user's file; a
   * path with no source maps to the nearest one that has (or []: the whole file). Absent: the
   * same path.
   */
  readonly sourcePath?: (path: readonly string[]) => readonly string[];
}

/**
 * Another proxy's config file that prox runs as it is. Each format is a pure function from the
 * parsed document to a prox config; the registry (detect.ts) decides which one a file is.
 */
export interface ForeignFormat {
  /** Short id, e.g. `apex-http`. */
  readonly id: string;
  /** What `prox validate` calls it. */
  readonly title: string;
  readonly syntax: 'toml' | 'yaml';
  /** The document has this format's shape (checked only on documents of its syntax). */
  recognises(document: Record<string, unknown>): boolean;
  toProx(document: Record<string, unknown>): Conversion;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
