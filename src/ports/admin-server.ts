import type { BoundListener } from './http-server';

export interface AdminResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

/**
 * Answers one admin request; `path` has no query string, `query` is what follows `?` (may be ''),
 * `authorization` the request's Authorization header (absent or null when it has none).
 */
export type AdminHandler = (method: string, path: string, query?: string, authorization?: string | null) => Promise<AdminResponse>;

/** The operator's listener (metrics, health, state). Low traffic: simplicity over speed. */
export interface AdminServer {
  listen(host: string, port: number, handler: AdminHandler): Promise<BoundListener>;
}

export const AdminServer = Symbol.for('prox.AdminServer');
