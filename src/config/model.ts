/**
 * The validated, normalised configuration the runtime consumes.
 *
 * The YAML on disk uses the Rust Prox field names (snake_case); the loader turns it into these
 * camelCase shapes with every default filled in, so nothing downstream re-reads raw YAML or
 * re-applies defaults.
 */

export interface ListenAddress {
  /** IP literal without brackets, e.g. `127.0.0.1` or `::1`. */
  readonly host: string;
  readonly port: number;
}

export interface RequestLimits {
  /** Whole request header block (names + values), bytes. */
  readonly maxHeaderBytes: number;
  readonly maxHeaders: number;
  /** `null` means unlimited. */
  readonly maxBodyBytes: number | null;
}

export type BalanceStrategy = 'round_robin' | 'random';
export type RedirectStatus = 301 | 302 | 307 | 308;

export interface RouteKey {
  /** The key exactly as written in the YAML map. */
  readonly key: string;
  /** Lower-cased host or `*.suffix` wildcard; `null` for host-less keys. */
  readonly host: string | null;
  /** Normalised path prefix: starts with `/`, no trailing `/` except the root `/`. */
  readonly pathPrefix: string;
}

export interface UpstreamOptions {
  /** Replacement for the matched prefix; `null` keeps the path unchanged. */
  readonly pathRewrite: string | null;
  readonly preserveHost: boolean;
  readonly timeoutSecs: number;
  readonly connectTimeoutSecs: number;
}

export interface ProxyRoute extends RouteKey, UpstreamOptions {
  readonly type: 'proxy';
  readonly target: string;
}

export interface LoadBalanceRoute extends RouteKey, UpstreamOptions {
  readonly type: 'load_balance';
  readonly targets: readonly string[];
  readonly strategy: BalanceStrategy;
}

export interface RedirectRoute extends RouteKey {
  readonly type: 'redirect';
  readonly target: string;
  readonly statusCode: RedirectStatus;
}

/** Accepted and validated, served once static files land; answers 501 until then. */
export interface StaticRoute extends RouteKey {
  readonly type: 'static';
  readonly root: string;
}

export type RouteConfig = ProxyRoute | LoadBalanceRoute | RedirectRoute | StaticRoute;

export interface ProxConfig {
  readonly listenAddr: ListenAddress;
  readonly shutdownTimeoutSecs: number;
  /** CIDRs / addresses whose X-Forwarded-* headers are believed. */
  readonly trustedProxies: readonly string[];
  readonly limits: RequestLimits;
  /** In YAML declaration order. */
  readonly routes: readonly RouteConfig[];
}

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

export type LoadResult =
  | { readonly ok: true; readonly config: ProxConfig; readonly warnings: readonly Diagnostic[] }
  | { readonly ok: false; readonly errors: readonly Diagnostic[]; readonly warnings: readonly Diagnostic[]; readonly unreadable: boolean };
