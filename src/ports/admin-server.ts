import type { BoundListener } from './http-server';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * A request's body, read only by the endpoints that take one (the rest never pull it), and only
 * up to a limit the endpoint names: the admin listener holds no body it was not asked for.
 */
export interface AdminRequestBody {
  /** The Content-Type header as sent, or null. */
  readonly contentType: string | null;
  /** The whole body as UTF-8 text, or null when it is larger than `maxBytes` (then nothing of it is kept). */
  read(maxBytes: number): Promise<string | null>;
}

/**
 * Answers one admin request; `path` has no query string, `query` is what follows `?` (may be ''),
 * `authorization` the request's Authorization header (absent or null when it has none), `body`
 * its body (absent or null where the transport passes none).
 */
export type AdminHandler = (method: string, path: string, query?: string, authorization?: string | null, body?: AdminRequestBody | null) => Promise<AdminResponse>;

/** The operator's listener (metrics, health, state). Low traffic: simplicity over speed. */
export interface AdminServer {
  listen(host: string, port: number, handler: AdminHandler): Promise<BoundListener>;
}

export const AdminServer = Symbol.for('prox.AdminServer');
