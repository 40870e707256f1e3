/**
 * The config exactly as written in YAML (snake_case, defaults not yet applied), typed as
 * `config.schema.json` guarantees once validation has passed. Only the normaliser relies on
 * these types; checks that run on possibly-invalid input treat the data as `unknown`.
 */

export interface RawWeightedTarget {
  readonly url: string;
  readonly weight?: number;
}

/** A backend as written: a URL, or `{url, weight}`. */
export type RawTarget = string | RawWeightedTarget;

export interface RawHealthCheck {
  readonly enabled?: boolean;
  readonly interval_secs?: number;
  readonly timeout_secs?: number;
  readonly path?: string;
  readonly method?: 'GET' | 'HEAD';
  readonly unhealthy_threshold?: number;
  readonly healthy_threshold?: number;
  /** A single code, or codes and ranges such as `"200,204,300-399"`. */
  readonly expected_status?: number | string;
  readonly expected_body?: string | null;
  readonly jitter?: number;
}

export interface RawHashKey {
  readonly by?: 'ip' | 'header' | 'cookie';
  readonly name?: string;
}

export interface RawPassiveHealth {
  readonly enabled?: boolean;
  readonly consecutive_failures?: number;
  readonly ejection_secs?: number;
  readonly max_ejection_secs?: number;
  readonly count_5xx?: boolean;
}

export interface RawCircuitBreaker {
  readonly enabled?: boolean;
  readonly max_failures?: number;
  readonly timeout_secs?: number;
  readonly half_open_successes?: number;
}

export interface RawRetries {
  readonly attempts?: number;
  /** Status codes may be written as numbers or strings (`502`, `"502"`). */
  readonly on?: readonly (string | number)[];
  readonly backoff_ms?: number;
}

export interface RawErrorPage {
  readonly type?: 'json' | 'html' | 'text';
  /** A mapping or list is allowed for `type: json` and sent serialised. */
  readonly body?: string | Readonly<Record<string, unknown>> | readonly unknown[];
  readonly file?: string;
}

/** Status code (as written, a string key) to its error page. */
export type RawErrorPages = Readonly<Record<string, RawErrorPage>>;

export interface RawRateLimit {
  readonly by: 'ip' | 'header' | 'route';
  readonly header_name?: string;
  readonly requests: number;
  /** `<n>s`, `<n>m` or `<n>h`. */
  readonly period: string;
  readonly status_code?: number;
  readonly message?: string;
  readonly algorithm?: 'token_bucket' | 'fixed_window' | 'sliding_window';
  readonly on_missing_key?: 'allow' | 'deny';
  readonly burst?: number;
  readonly mode?: 'enforce' | 'shadow';
  readonly max_keys?: number;
}

export type RawStrategy =
  | 'round_robin'
  | 'weighted_round_robin'
  | 'least_connections'
  | 'random'
  | 'power_of_two'
  | 'ip_hash'
  | 'consistent_hash';

export interface RawRoute {
  readonly type: 'proxy' | 'load_balance' | 'redirect' | 'static';
  readonly target?: string;
  readonly targets?: readonly RawTarget[];
  readonly strategy?: RawStrategy;
  readonly hash_key?: RawHashKey;
  readonly status_code?: 301 | 302 | 307 | 308;
  readonly root?: string;
  readonly index?: string | readonly string[];
  readonly fallback?: string;
  readonly allow_dotfiles?: boolean;
  readonly precompressed?: boolean;
  readonly cache_control?: string;
  readonly path_rewrite?: string;
  readonly strip_prefix?: boolean;
  readonly preserve_host?: boolean;
  readonly timeout_secs?: number;
  readonly connect_timeout_secs?: number;
  readonly health_check?: RawHealthCheck;
  readonly passive?: RawPassiveHealth;
  readonly circuit_breaker?: RawCircuitBreaker;
  readonly retries?: RawRetries;
  readonly retry_buffer_bytes?: number;
  readonly min_healthy_percent?: number;
  readonly access_log?: boolean;
  readonly errors?: RawErrorPages;
  readonly rate_limit?: RawRateLimit;
  /** A block, or (prox extension) a list of blocks. */
  readonly request_headers?: RawHeaderRule | readonly RawHeaderRule[];
  readonly response_headers?: RawHeaderRule | readonly RawHeaderRule[];
  readonly request_body?: RawBodyRule | readonly RawBodyRule[];
  readonly response_body?: RawBodyRule | readonly RawBodyRule[];
}

export interface RawCondition {
  readonly path_matches?: string;
  readonly method_is?: string | readonly string[];
  readonly has_header?: { readonly name: string; readonly value_matches?: string };
  /** Response rules only: a code, a string of codes and ranges, or a list of either. */
  readonly status?: number | string | readonly (number | string)[];
}

export interface RawHeaderRule {
  readonly condition?: RawCondition;
  readonly add?: Readonly<Record<string, string>>;
  readonly append?: Readonly<Record<string, string>>;
  readonly remove?: readonly string[];
}

export interface RawBodyRule {
  readonly condition?: RawCondition;
  readonly set_text?: string;
  readonly set_json?: unknown;
}

export interface RawLimits {
  readonly max_header_bytes?: number;
  readonly max_headers?: number;
  readonly max_body_bytes?: number | null;
}

export interface RawAdmin {
  readonly enabled?: boolean;
  readonly listen_addr?: string;
  readonly public_path?: string | null;
}

export interface RawAccessLog {
  readonly enabled?: boolean;
  readonly format?: 'json' | 'combined';
  readonly path?: string | null;
}

export interface RawCertificateFiles {
  readonly cert_path: string;
  readonly key_path: string;
}

export interface RawTls {
  readonly cert_path?: string;
  readonly key_path?: string;
  readonly certificates?: readonly RawCertificateFiles[];
  readonly min_version?: 'TLSv1.2' | 'TLSv1.3';
  readonly http_listen_addr?: string;
  readonly http_redirect?: boolean;
  readonly hsts?: { readonly max_age_secs: number; readonly include_subdomains?: boolean; readonly preload?: boolean };
  readonly acme?: unknown;
}

export interface RawProtocols {
  readonly http2_enabled?: boolean;
  readonly http2_max_concurrent_streams?: number;
  readonly http2_max_frame_size?: number;
  readonly [other: string]: unknown;
}

export interface RawConfig {
  readonly listen_addr: string;
  readonly routes: Readonly<Record<string, RawRoute>>;
  readonly admin?: RawAdmin;
  readonly access_log?: RawAccessLog;
  readonly errors?: RawErrorPages;
  readonly request_id_header?: string;
  readonly shutdown_timeout_secs?: number;
  readonly workers?: number | 'auto';
  readonly trusted_proxies?: readonly string[];
  readonly limits?: RawLimits;
  readonly tls?: RawTls;
  readonly health_check?: RawHealthCheck;
  readonly backend_health_paths?: Readonly<Record<string, string>>;
  readonly protocols?: RawProtocols;
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
