import type { UpstreamTls } from './upstream-client';

/** Sends one active health-check request to a backend. */
export interface HealthProbe {
  /**
   * Never rejects: every failure (refused, reset, timeout) is a `failed` result. The
   * implementation enforces `timeoutMs` for the whole probe, body included.
   */
  probe(request: ProbeRequest): Promise<ProbeResult>;
}

export const HealthProbe = Symbol.for('prox.HealthProbe');

export interface ProbeRequest {
  /** `scheme://host:port`. */
  readonly origin: string;
  /** TLS verification for https:// origins, the same as the backend's traffic; `null` for http://. */
  readonly tls: UpstreamTls | null;
  /** Absolute path, already joined with the target's base path. */
  readonly path: string;
  readonly method: 'GET' | 'HEAD';
  /** Host header to send. */
  readonly authority: string;
  readonly timeoutMs: number;
  /** Read at most this many bytes of the body (0: do not read it). */
  readonly maxBodyBytes: number;
}

export type ProbeResult =
  | { readonly kind: 'response'; readonly status: number; readonly body: string }
  /** A `tcp://` origin accepted a connection (TCP connect checks: there is no status to judge). */
  | { readonly kind: 'connected' }
  | { readonly kind: 'failed'; readonly detail: string };
