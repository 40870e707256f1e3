import type { CompiledTcpListener } from '../core/tcp/tcp-listener';

/** L4 listeners: accepts TCP connections and relays their bytes to a backend of the listener. */
export interface TcpProxyServer {
  /** Binds `listener.config.listenAddr`; rejects when the address cannot be bound. */
  listen(listener: CompiledTcpListener): Promise<TcpBoundListener>;
}

export const TcpProxyServer = Symbol.for('prox.TcpProxyServer');

export interface TcpBoundListener {
  readonly host: string;
  /** The bound port (the OS's choice for port 0). */
  readonly port: number;
  /** Connections open now. */
  readonly openConnections: number;
  /** New connections follow `listener` (a reload); open ones stay on their backend. */
  replace(listener: CompiledTcpListener): void;
  /** Stops accepting; open connections continue. */
  stopAccepting(): Promise<void>;
  /** Resolves true once every open connection ended, or false after `timeoutMs`, when the rest are closed. */
  drain(timeoutMs: number): Promise<boolean>;
}

/** Why a client connection ended (the access log's `close_reason`). */
export type TcpCloseReason =
  | 'client_closed'
  | 'backend_closed'
  | 'client_error'
  | 'backend_error'
  | 'idle_timeout'
  | 'shutdown'
  | 'no_backend'
  | 'connect_failed'
  | 'max_connections'
  | 'bad_proxy_header'
  | 'preamble_timeout';

/** `outcome` label: forwarded, or refused before any byte reached a backend. */
export type TcpOutcome = 'forwarded' | 'no_backend' | 'connect_failed' | 'rejected';

/** One client connection, told once when it has ended. */
export interface TcpConnectionRecord {
  readonly listener: string;
  /** The client's address (from a trusted PROXY header when one was read) and port. */
  readonly client: string;
  /** `host:port` of the backend, or null when none was connected. */
  readonly backend: string | null;
  readonly outcome: TcpOutcome;
  readonly closeReason: TcpCloseReason;
  /** Bytes read from the client / written to it. */
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  /** Wall-clock ms of the accept. */
  readonly startedAt: number;
}

export interface TcpObserver {
  connectionOpened(listener: string): void;
  connectionClosed(record: TcpConnectionRecord): void;
}

export const TcpObserver = Symbol.for('prox.TcpObserver');
