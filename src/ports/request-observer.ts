import type { WebSocketCloser, WebSocketDirection } from './websocket';

/**
 * What happened to one request, filled in by the core as it goes and handed to observers
 * (metrics, access log) once the response is complete. One object per request, reused by
 * nobody after that call.
 */
export interface RequestRecord {
  readonly requestId: string;
  /** Route key, or `__none__` when no route matched. */
  route: string;
  readonly method: string;
  readonly host: string;
  /** Path and query as sent by the client. */
  readonly target: string;
  readonly clientIp: string;
  /** Status sent to the client; 0 when the connection was cut before any status. */
  status: number;
  bytesIn: number;
  bytesOut: number;
  /** Monotonic ms at arrival. */
  readonly startedAtMs: number;
  durationMs: number;
  /** URL of the backend of the last attempt; null when none was tried. */
  backend: string | null;
  /** Time from sending the last attempt to its response head; null without one. */
  upstreamMs: number | null;
  retries: number;
  /** Error code of an answer prox made itself (e.g. `bad_gateway`); null otherwise. */
  errorCode: string | null;
  /**
   * The route's rate limit was over for this request: `enforced` (refused, errorCode
   * `rate_limited`) or `shadow` (served, since the limit is in shadow mode); null otherwise.
   */
  rateLimited: 'enforced' | 'shadow' | null;
  /** The route's ip_filter admitted (`allow`) or refused (`deny`) the client; null without one. */
  ipFilter?: 'allow' | 'deny' | null;
  /** The route's auth admitted (`allow`) or refused (`deny`) the request; null without one. */
  auth?: 'allow' | 'deny' | null;
  /** The route wants this request in the access log. */
  accessLogged: boolean;
  /** The request's headers as received (flat, lower-case names), for log formats that want one. */
  readonly requestHeaders: readonly string[];
  /** `http/1.1` or `h2`. */
  readonly protocol?: string;
  /** Negotiated TLS version, null on plaintext. */
  readonly tlsVersion?: string | null;
  /** A WebSocket session (status 101), recorded when it ends; absent for other requests. */
  webSocket?: WebSocketRecord | null;
}

/** What happened in one WebSocket session. */
export interface WebSocketRecord {
  messagesIn: number;
  messagesOut: number;
  /** Close code (1005: none given, 1006: connection cut). */
  closeCode: number;
  closedBy: WebSocketCloser;
}

/** Outcome of one upstream attempt, as counted in metrics. */
export type UpstreamOutcome = 'success' | 'http_5xx' | 'connect_error' | 'tls' | 'timeout' | 'reset' | 'protocol' | 'cancelled';

export interface RequestObserver {
  requestCompleted(record: RequestRecord): void;
  upstreamAttempted(route: string, backend: string, outcome: UpstreamOutcome, durationMs: number): void;
  retried(route: string): void;
  /** A WebSocket session opened on the route (the 101 went out). */
  webSocketOpened?(route: string): void;
  /** One message relayed; `bytes` is its payload. */
  webSocketMessage?(route: string, direction: WebSocketDirection, bytes: number): void;
  /** A session ended (after webSocketOpened); `requestCompleted` follows with the whole record. */
  webSocketClosed?(route: string, closeCode: number): void;
}

export const RequestObserver = Symbol.for('prox.RequestObserver');

/** For configurations and tests that observe nothing. */
export const NO_OBSERVER: RequestObserver = {
  requestCompleted: () => undefined,
  upstreamAttempted: () => undefined,
  retried: () => undefined,
};
