import type { BodySource } from './body';
import type { WebSocketUpgrade } from './websocket';
import type { CertificateFiles, Http2Settings } from '../core/model';
import type { ManagedCertificateSource } from './managed-certificates';

/**
 * The inbound side: accepts client connections and hands each request to the handler as an
 * exchange. Protocol hygiene (framing, header limits, smuggling defences) is the adapter's job:
 * the handler only ever sees well-formed requests.
 */
export interface HttpServer {
  listen(spec: ListenSpec, handler: ExchangeHandler): Promise<BoundListener>;
  /** Stop accepting on every listener; in-flight exchanges continue. */
  stopAccepting(): Promise<void>;
}

export const HttpServer = Symbol.for('prox.HttpServer');

/** Which engine serves the plaintext listener, and why (shown by the startup log, `prox validate` and /config). */
export interface InboundEngine {
  readonly name: 'uws' | 'node' | 'llhttp';
  /** `engine:` as configured. */
  readonly configured: 'auto' | 'uws' | 'node' | 'llhttp';
  readonly reason: string;
}

export interface ListenSpec {
  readonly host: string;
  readonly port: number;
  readonly limits: {
    readonly maxHeaderBytes: number;
    readonly maxHeaders: number;
    readonly maxBodyBytes: number | null;
    readonly headerTimeoutMs: number;
    readonly bodyTimeoutMs: number;
    readonly keepaliveTimeoutMs: number;
    readonly maxConnections: number | null;
    readonly maxConnectionsPerIp: number | null;
  };
  /** Terminate TLS here (HTTPS/1.1, and HTTP/2 chosen by ALPN); absent or null = plaintext. */
  readonly tls?: TlsListenSpec | null;
}

export interface TlsListenSpec {
  /** Served when no SNI certificate matches and to clients without SNI; null = those handshakes fail. */
  readonly defaultCertificate: CertificateFiles | null;
  /** Chosen by the client's SNI name: exact, then `*.` wildcard, then the default. */
  readonly sniCertificates: readonly CertificateFiles[];
  readonly minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** null: ALPN offers http/1.1 only. */
  readonly http2: Http2Settings | null;
  /** Certificates from memory (ACME) instead of files; then the file fields are empty. */
  readonly managed?: ManagedCertificateSource | null;
}

export interface BoundListener {
  readonly host: string;
  readonly port: number;
  readonly protocol: string;
  /** Stop accepting on this listener only; its open connections finish their exchanges. */
  stopAccepting(): Promise<void>;
  /**
   * TLS listeners only: read the certificate files again and use them for new handshakes (open
   * connections keep theirs). Rejects, keeping the certificates in use, when a pair is broken.
   */
  reloadCertificates?(tls: TlsListenSpec): Promise<void>;
  /** TLS listeners only: the certificates served now (for the admin `/certificates` view). */
  servedCertificates?(): ServedCertificate[];
}

/** One certificate a TLS listener serves. */
export interface ServedCertificate {
  /** DNS names of the leaf (its CN when it has none). */
  readonly names: readonly string[];
  readonly issuer: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  /** `file`: cert_path / certificates; `acme`: from the ACME manager. */
  readonly source: 'file' | 'acme';
  /** The chain file, for `file` certificates. */
  readonly certPath: string | null;
}

export interface ExchangeHandler {
  handle(exchange: HttpExchange): void;
}

/** What the adapter knows about a request, fixed before the handler runs. */
export interface InboundRequest {
  /** Upper-case method as sent. */
  readonly method: string;
  /** Raw request path (no query), as sent: percent-encoding untouched. */
  readonly path: string;
  /** Raw query without the `?`; empty when absent. */
  readonly query: string;
  /** Lower-cased, port stripped; validated by the adapter. */
  readonly hostname: string;
  /** The Host header value as sent. */
  readonly authority: string;
  /** Flat `[name, value, ...]`, names lower-case, as received (duplicates kept). */
  readonly headers: readonly string[];
  readonly remoteAddress: string;
  readonly scheme: 'http' | 'https';
  /** Protocol the request came in on; absent means `http/1.1`. */
  readonly protocol?: 'http/1.1' | 'h2';
  /** Negotiated TLS version (e.g. `TLSv1.3`); absent or null on plaintext. */
  readonly tlsVersion?: string | null;
  /** `null` when the request has no body. */
  readonly body: BodySource | null;
}

/**
 * One request/response pair. Response methods may be called once in this order:
 * either `respond`, or `startResponse` → `write`* → `end`; `abort` at any time.
 */
export interface HttpExchange {
  readonly request: InboundRequest;
  /** Complete, small response. `body` null means none. */
  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void;
  /**
   * Begin a streamed response. With `contentLength` the adapter frames by length, otherwise
   * chunked. For HEAD/204/304 the adapter sends no body whatever is written.
   */
  startResponse(status: number, headers: readonly string[], contentLength: number | null): void;
  /** Returns false when the client is slow: stop writing until `onWritable` fires. */
  write(chunk: Uint8Array): boolean;
  end(): void;
  /** Tear the connection down: the client must not mistake a partial response for a whole one. */
  abort(): void;
  /** Called once when the client side can take more after `write` returned false. */
  onWritable(callback: () => void): void;
  /** Called once if the client goes away before the response ended. */
  onClientGone(callback: () => void): void;
  /** Whether the response has been completed or aborted. */
  readonly finished: boolean;
  /** Request body bytes received so far. */
  readonly bytesReceived: number;
  /** Response body bytes handed to the connection so far (headers not counted). */
  readonly bytesSent: number;
  /**
   * Present when the request is a WebSocket upgrade (GET, `Upgrade: websocket`, `Connection:
   * upgrade`) on an engine that can proxy it; absent or null otherwise.
   */
  readonly upgrade?: WebSocketUpgrade | null;
}
