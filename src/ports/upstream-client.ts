import type { BodySource } from './body';
import type { UpgradedStream } from './upgraded-stream';

/**
 * Sends one request to an upstream origin and streams the response back through callbacks.
 *
 * Contract: `dispatch` never throws; every failure is reported once through `onUpstreamError`,
 * and after `onUpstreamEnd` or `onUpstreamError` no callback fires again. Implementations keep one
 * connection pool per origin, reused across requests and config reloads.
 */
export interface UpstreamClient {
  dispatch(request: UpstreamRequest, handler: UpstreamResponseHandler): UpstreamCall;
  /**
   * Send an upgrade request (WebSocket): a 101 comes through `onUpstreamUpgrade` with the
   * connection, taken out of the pool; any other answer through the usual callbacks.
   */
  upgrade(request: UpstreamRequest, handler: UpstreamUpgradeHandler): UpstreamCall;
  /** Close pools whose `poolKey` is not in `keep` once their in-flight requests end. */
  retainOnly(keep: ReadonlySet<string>): void;
  /** Close every pool: let in-flight requests finish, or cut them when `abortInFlight`. */
  close(abortInFlight?: boolean): Promise<void>;
}

export const UpstreamClient = Symbol.for('prox.UpstreamClient');

/** How an https:// upstream is verified; `null` on the request for http:// upstreams. */
export interface UpstreamTls {
  /** PEM CA bundle trusted instead of the system CAs; `null` = the system CAs. */
  readonly ca: string | null;
  /** SNI name, also the name the certificate must cover; `null` = no SNI (IP targets). */
  readonly serverName: string | null;
  /** `false` accepts any certificate (`insecure_skip_verify`). */
  readonly verify: boolean;
  /** Equal ids, equal settings: pools and probe agents are shared by id. */
  readonly id: string;
}

export interface UpstreamRequest {
  /** `scheme://host:port`, no path. */
  readonly origin: string;
  /**
   * Identity of the connection pool: the origin, plus the TLS settings' id for https. Requests
   * with the same key share connections; `retainOnly` takes these keys.
   */
  readonly poolKey: string;
  /** TLS verification for https:// origins; `null` for http://. */
  readonly tls: UpstreamTls | null;
  readonly method: string;
  /** Path plus `?query`, already rewritten. */
  readonly pathAndQuery: string;
  /** Flat `[name, value, name, value, ...]`, names lower-case, hop-by-hop already removed. */
  readonly headers: readonly string[];
  readonly body: BodySource | null;
  /** Part of the pool's identity: keep it fixed per route so pools are not multiplied. */
  readonly connectTimeoutMs: number;
  /** Time allowed for the response head once the request is sent. */
  readonly headersTimeoutMs: number;
  /** Longest gap allowed between two response body chunks. */
  readonly bodyTimeoutMs: number;
}

export interface UpstreamCall {
  /** Cancel the exchange (e.g. the client went away). No further callbacks fire. */
  abort(): void;
}

/** Lets the response consumer throttle the upstream body. */
export interface UpstreamFlow {
  pause(): void;
  resume(): void;
}

export type UpstreamFailureKind =
  | 'connect_refused'
  | 'connect_timeout'
  | 'response_timeout'
  | 'reset'
  | 'protocol'
  /** The TLS handshake failed: certificate not trusted, name mismatch, no common protocol. */
  | 'tls'
  | 'request_body'
  | 'request_too_large'
  /** The client's request body stalled past `limits.body_timeout_secs`. */
  | 'request_body_timeout'
  | 'other';

export interface UpstreamFailure {
  readonly kind: UpstreamFailureKind;
  /** True once any byte of the request reached the upstream (matters for retries). */
  readonly requestSent: boolean;
  /** Detail for operators' logs; never sent to clients. */
  readonly detail: string;
}

export interface UpstreamResponseHandler {
  /** Headers flat `[name, value, ...]`, names lower-case, repeated headers kept as separate pairs. */
  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void;
  /** Return false to ask for a pause; resume through the flow handle given with the response. */
  onUpstreamData(chunk: Uint8Array): boolean;
  onUpstreamEnd(): void;
  onUpstreamError(failure: UpstreamFailure): void;
}

export interface UpstreamUpgradeHandler extends UpstreamResponseHandler {
  /** The upstream switched protocols: `stream` is the connection, `head` bytes it sent right after the 101. */
  onUpstreamUpgrade(status: number, headers: string[], stream: UpgradedStream): void;
}
