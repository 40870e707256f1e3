/**
 * The config exactly as written in YAML (snake_case, defaults not yet applied), typed as
 * `config.schema.json` guarantees once validation has passed. Only the normaliser relies on
 * these types; checks that run on possibly-invalid input treat the data as `unknown`.
 */

export interface RawRoute {
  readonly type: 'proxy' | 'load_balance' | 'redirect' | 'static';
  readonly target?: string;
  readonly targets?: readonly string[];
  readonly strategy?: 'round_robin' | 'random';
  readonly status_code?: 301 | 302 | 307 | 308;
  readonly root?: string;
  readonly path_rewrite?: string;
  readonly strip_prefix?: boolean;
  readonly preserve_host?: boolean;
  readonly timeout_secs?: number;
  readonly connect_timeout_secs?: number;
  /** Inactive features are validated by the schema but never read, so their shape is left open. */
  readonly rate_limit?: unknown;
  readonly request_headers?: unknown;
  readonly response_headers?: unknown;
  readonly request_body?: unknown;
  readonly response_body?: unknown;
}

export interface RawLimits {
  readonly max_header_bytes?: number;
  readonly max_headers?: number;
  readonly max_body_bytes?: number | null;
}

export interface RawConfig {
  readonly listen_addr: string;
  readonly routes: Readonly<Record<string, RawRoute>>;
  readonly shutdown_timeout_secs?: number;
  readonly trusted_proxies?: readonly string[];
  readonly limits?: RawLimits;
  readonly tls?: unknown;
  readonly health_check?: unknown;
  readonly backend_health_paths?: unknown;
  readonly protocols?: unknown;
}

/** Narrowing helpers for checks that must tolerate schema-invalid data. */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
