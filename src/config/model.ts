/**
 * What the config layer adds to the domain model (src/core/model.ts): findings located in the
 * YAML source, and the result of loading a file. The domain types are re-exported so callers
 * outside the core can keep importing the whole vocabulary from here.
 */
import type { ProxConfig } from '../core/model';

export * from '../core/model';

export type Severity = 'error' | 'warning';

/** One finding about a config file, located at its YAML source. */
export interface Diagnostic {
  readonly severity: Severity;
  readonly file: string;
  /** 1-based; 0 when the finding has no position (e.g. unreadable file). */
  readonly line: number;
  readonly col: number;
  /** JSON-pointer-like path of the field, e.g. `/routes/~1api/target`; '' for the document. */
  readonly path: string;
  readonly message: string;
  readonly hint: string | null;
}

/** A file in another proxy's format that prox converted (src/config/formats). */
export interface DetectedFormat {
  readonly title: string;
  /** What maps onto prox loosely; `prox convert` prints these as comments. */
  readonly notes: readonly string[];
}

export type LoadResult =
  | { readonly ok: true; readonly config: ProxConfig; readonly warnings: readonly Diagnostic[]; readonly format?: DetectedFormat }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[]; readonly unreadable: boolean };
