import type { EngineSetting } from '../../core/model';
import type { AdminResponse } from '../../ports/admin-server';
import type { AcmeSnapshot } from '../../ports/managed-certificates';

/** What the supervisor tells a worker when it forks it (as the one command-line argument, JSON). */
export interface WorkerSettings {
  readonly id: number;
  readonly configFile: string;
  /** The concrete public port every worker binds when the config says port 0; null = as configured. */
  readonly port: number | null;
  /** The supervisor hands over the listening TLS socket (message `tls-listener`): wait for it. */
  readonly sharedTlsListener?: boolean;
  /** Where the supervisor serves the admin endpoints (shown in the worker's log), null when off. */
  readonly adminAddress: { readonly host: string; readonly port: number } | null;
  /** `engine:` of the config the supervisor started with (engine changes apply after a restart). */
  readonly engine?: EngineSetting;
}

/** Supervisor → worker. Workers answer requests carrying an `id` with a reply of the same id. */
export type ToWorker =
  /** `authorization`: the client's header, for a worker that checks `admin.token` itself. */
  | { readonly type: 'admin'; readonly id: number; readonly method: string; readonly path: string; readonly authorization?: string | null }
  | { readonly type: 'metrics'; readonly id: number }
  | { readonly type: 'reload'; readonly id: number; readonly trigger: string; readonly port: number | null }
  /** `tls.acme`: the supervisor's certificate, pending challenges and status; answered once applied. */
  | { readonly type: 'acme'; readonly id: number; readonly snapshot: AcmeSnapshot }
  /** Sent with the shared listening TLS socket as handle. */
  | { readonly type: 'tls-listener' }
  /** Sent with a client connection (handle) the supervisor's copy of the TLS socket accepted. */
  | { readonly type: 'tls-connection' };

/** Worker → supervisor. */
export type FromWorker =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'admin'; readonly id: number; readonly answer: AdminResponse }
  | { readonly type: 'metrics'; readonly id: number; readonly metrics: unknown[] }
  | { readonly type: 'reload'; readonly id: number; readonly applied: boolean; readonly reason: string | null }
  | { readonly type: 'acme'; readonly id: number };

export type WorkerReply = Extract<FromWorker, { id: number }>;
