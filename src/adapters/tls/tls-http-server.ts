import { once } from 'node:events';
import type { Server as HttpServerNode } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type Http2Session } from 'node:http2';
import type { AddressInfo, Server, Socket } from 'node:net';
import { createSecureContext, createServer as createTlsServer, type SecureContext, type Server as TlsServer, type TLSSocket } from 'node:tls';
import { formatListenAddress } from '../../config/listen-address';
import type { BoundListener, ExchangeHandler, HttpServer, ListenSpec, TlsListenSpec } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import type { TlsObserver } from '../../ports/tls-observer';
import { supportsReusePort } from '../http-common/reuse-port';
import { ConnectionAdmission, guardConnections } from '../http-common/connection-admission';
import { CertificateSet } from './certificate-set';
import { CertificateWatch } from './certificate-watch';
import { http2StreamListener } from './h2/http2-streams';
import { handshakeFailureReason } from './handshake-failures';

/** The HTTP/1.1 server TLS connections are handed to (node:http, with prox's checks). */
export type Http1ConnectionServerFactory = (spec: ListenSpec, handler: ExchangeHandler) => { server: HttpServerNode; stop(): void };

/** RFC 8737: the ALPN protocol of TLS-ALPN-01 validation handshakes. */
const ACME_TLS_ALPN = 'acme-tls/1';

/** A TLS client must finish its handshake within this time. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** An HTTP/2 connection with no stream activity for this long is closed (GOAWAY). */
const HTTP2_IDLE_TIMEOUT_MS = 60_000;

export interface TlsHttpServerParts {
  /** Serves listeners without `tls` (µWebSockets or node:http). */
  readonly plaintext: HttpServer;
  readonly http1: Http1ConnectionServerFactory;
  readonly logger: Logger;
  readonly observer: TlsObserver;
  /** Set in the worker processes of `workers: N`, which share the port on purpose. */
  readonly portShared: boolean;
  /** A listening socket handed over by the supervisor (workers on Node < 22.12): accept on it instead of binding. */
  readonly sharedHandle?: Server | null;
}

/**
 * HttpServer that terminates TLS with node (µWebSockets has no ALPN and no HTTP/2): one
 * `tls.Server` per TLS listener picks the certificate by SNI and the protocol by ALPN, then
 * hands each connection to a node:http server (http/1.1) or to an http2 server used through its
 * stream API (h2). Listeners without `tls` go to the plaintext server unchanged.
 */
export class TlsHttpServer implements HttpServer {
  private readonly listeners = new Set<TlsListener>();

  constructor(private readonly parts: TlsHttpServerParts) {}

  async listen(spec: ListenSpec, handler: ExchangeHandler): Promise<BoundListener> {
    const tls = spec.tls ?? null;
    if (tls === null) return this.parts.plaintext.listen(spec, handler);
    if (this.parts.portShared && !supportsReusePort() && !this.parts.sharedHandle) {
      throw new Error(
        `cannot listen on ${formatListenAddress(spec)}: with tls, workers need to share the port, which node's TLS server can do ` +
          `only on Node 22.12 or later (SO_REUSEPORT); this is Node ${process.versions.node}. Use workers: 1.`,
      );
    }
    const listener = new TlsListener(spec, tls, handler, this.parts);
    const bound = await listener.start();
    this.listeners.add(listener);
    return {
      ...bound,
      stopAccepting: async () => {
        if (!this.listeners.delete(listener)) return;
        listener.stop();
      },
    };
  }

  /** A client connection accepted elsewhere (the supervisor's copy of the shared socket). */
  adopt(socket: Socket): void {
    const listener = this.listeners.values().next().value as TlsListener | undefined;
    if (listener === undefined) socket.destroy();
    else listener.adopt(socket);
  }

  async stopAccepting(): Promise<void> {
    await this.parts.plaintext.stopAccepting();
    for (const listener of this.listeners) listener.stop();
    this.listeners.clear();
  }
}

class TlsListener {
  private certificates: CertificateSet;
  private tlsSpec: TlsListenSpec;
  private readonly server: TlsServer;
  private readonly http1: { server: HttpServerNode; stop(): void };
  private readonly http2: Http2Server | null;
  private readonly sessions = new Set<Http2Session>();
  private watch: CertificateWatch | null = null;
  private stopped = false;
  /** Handshakes that chose acme-tls/1 (the ALPN callback runs before the SNI callback on the same socket). */
  private readonly acmeHandshakes = new WeakSet<TLSSocket>();
  private unsubscribeManaged: (() => void) | null = null;

  constructor(
    private readonly spec: ListenSpec,
    tls: TlsListenSpec,
    handler: ExchangeHandler,
    private readonly parts: TlsHttpServerParts,
  ) {
    this.tlsSpec = tls;
    try {
      this.certificates = CertificateSet.load(tls);
    } catch (error) {
      throw new Error(`cannot listen on ${formatListenAddress(spec)}: ${(error as Error).message}`);
    }
    this.http1 = parts.http1(spec, handler);
    this.http2 = tls.http2 === null ? null : this.createHttp2(tls.http2, handler);
    const offerH2 = this.http2 !== null;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- node calls both callbacks with the TLSSocket as `this`
    const listener = this;
    this.server = createTlsServer({
      ...this.certificates.defaultOptions(tls.minVersion),
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      SNICallback(this: TLSSocket, servername: string, callback: (error: Error | null, context?: SecureContext) => void) {
        listener.contextFor(this, servername, callback);
      },
      ALPNCallback(this: TLSSocket, { servername, protocols }: { servername: string; protocols: string[] }) {
        if (protocols.includes(ACME_TLS_ALPN) && listener.tlsSpec.managed?.alpnChallenge(servername)) {
          listener.acmeHandshakes.add(this);
          return ACME_TLS_ALPN;
        }
        if (offerH2 && protocols.includes('h2')) return 'h2';
        if (protocols.includes('http/1.1')) return 'http/1.1';
        return undefined;
      },
    });
    // Capped on the raw TCP connection, before a handshake costs anything (HTTP/1.1 and h2 alike).
    guardConnections(this.server, new ConnectionAdmission(spec.limits.maxConnections, spec.limits.maxConnectionsPerIp));
    this.server.on('secureConnection', (socket: TLSSocket) => {
      // A validation handshake carries no application data (RFC 8737 §3): done once it completed.
      if (socket.alpnProtocol === ACME_TLS_ALPN) socket.end();
      else if (socket.alpnProtocol === 'h2' && this.http2 !== null) this.http2.emit('connection', socket);
      else this.http1.server.emit('connection', socket);
    });
    this.server.on('tlsClientError', (error: NodeJS.ErrnoException) => {
      this.parts.observer.handshakeFailed(handshakeFailureReason(error));
    });
    this.server.on('error', (error) => this.parts.logger.error('TLS listener error', { error: String(error) }));
  }

  private createHttp2(settings: NonNullable<TlsListenSpec['http2']>, handler: ExchangeHandler): Http2Server {
    const limits = this.spec.limits;
    const server = createHttp2Server({
      settings: {
        maxConcurrentStreams: settings.maxConcurrentStreams,
        maxFrameSize: settings.maxFrameSize,
        // Above prox's own limit, so an oversized list reaches the checks and gets a 431 instead
        // of a bare stream reset; nghttp2 still refuses anything past this.
        maxHeaderListSize: limits.maxHeaderBytes * 2 + 8192,
        enablePush: false,
      },
      maxHeaderListPairs: limits.maxHeaders * 2 + 16,
      maxSendHeaderBlockLength: 64 * 1024,
    });
    server.on('stream', http2StreamListener(this.spec, handler, this.parts.logger));
    server.on('session', (session: Http2Session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', (error) => this.parts.logger.warn('http2 session error', { error: String(error) }));
      session.setTimeout(HTTP2_IDLE_TIMEOUT_MS, () => session.close());
      if (this.stopped) session.close();
    });
    return server;
  }

  private contextFor(socket: TLSSocket, servername: string, callback: (error: Error | null, context?: SecureContext) => void): void {
    if (this.acmeHandshakes.has(socket)) {
      const challenge = this.tlsSpec.managed?.alpnChallenge(servername) ?? null;
      if (challenge !== null) return callback(null, createSecureContext({ cert: challenge.cert, key: challenge.key, minVersion: this.tlsSpec.minVersion }));
    }
    const context = this.certificates.table.lookup(servername);
    if (context !== null) return callback(null, context);
    const error: NodeJS.ErrnoException = new Error(
      this.tlsSpec.managed ? `no certificate for server name "${servername}" yet (ACME order pending)` : `no certificate for server name "${servername}" and no default certificate`,
    );
    error.code = 'ERR_PROX_UNKNOWN_SERVER_NAME';
    callback(error);
  }

  async start(): Promise<Omit<BoundListener, 'stopAccepting'>> {
    const address = formatListenAddress(this.spec);
    const shared = this.parts.sharedHandle ?? null;
    if (shared !== null) this.server.listen(shared);
    else this.server.listen({ host: this.spec.host, port: this.spec.port, ...(this.parts.portShared ? { reusePort: true } : {}) });
    try {
      await Promise.race([once(this.server, 'listening'), once(this.server, 'error').then(([error]) => Promise.reject(error))]);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(`cannot listen on ${address}: ${code === 'EADDRINUSE' ? 'address already in use' : `cannot bind (${String(code ?? error)})`}`);
    }
    this.parts.observer.certificatesServed(this.certificates.served());
    this.watchFiles();
    this.followManaged();
    return {
      host: this.spec.host,
      port: (this.server.address() as AddressInfo).port,
      protocol: this.http2 === null ? 'https (http/1.1)' : 'https (h2, http/1.1)',
      reloadCertificates: (tls) => this.reload(tls, 'config reload'),
      servedCertificates: () => this.certificates.describe(),
    };
  }

  /** New handshakes get the new certificates; open connections keep theirs. */
  private async reload(tls: TlsListenSpec, trigger: string): Promise<void> {
    if (this.stopped) return;
    const next = CertificateSet.load(tls);
    const changedFiles = JSON.stringify([tls.defaultCertificate, tls.sniCertificates]) !== JSON.stringify([this.tlsSpec.defaultCertificate, this.tlsSpec.sniCertificates]);
    const same = next.fingerprint === this.certificates.fingerprint && tls.minVersion === this.tlsSpec.minVersion;
    const changedSource = (tls.managed ?? null) !== (this.tlsSpec.managed ?? null);
    this.tlsSpec = tls;
    if (changedFiles) this.watchFiles();
    if (changedSource) this.followManaged();
    if (same) return;
    this.server.setSecureContext(next.defaultOptions(tls.minVersion));
    this.certificates = next;
    this.parts.observer.certificatesServed(next.served());
    this.parts.logger.info('certificates reloaded', { trigger, certificates: next.served().map((cert) => cert.domain) });
  }

  /** ACME: swap in each certificate the manager issues (new handshakes; open connections keep theirs). */
  private followManaged(): void {
    this.unsubscribeManaged?.();
    const managed = this.tlsSpec.managed ?? null;
    this.unsubscribeManaged = managed === null ? null : managed.onChange(() => {
      this.reload(this.tlsSpec, 'certificate issued').catch((error: unknown) => {
        this.parts.logger.error('issued certificate rejected; the certificates in use stay', { error: error instanceof Error ? error.message : String(error) });
      });
    });
  }

  private watchFiles(): void {
    this.watch?.close();
    const files: string[] = [];
    for (const pair of [this.tlsSpec.defaultCertificate, ...this.tlsSpec.sniCertificates]) if (pair !== null) files.push(pair.certPath, pair.keyPath);
    this.watch = new CertificateWatch(
      files,
      () => {
        this.reload(this.tlsSpec, 'file changed').catch((error: unknown) => {
          this.parts.logger.error('certificate reload rejected; the certificates in use stay', { error: error instanceof Error ? error.message : String(error) });
        });
      },
      (error) => this.parts.logger.warn('certificate file watch failed; SIGHUP or a config reload still reloads certificates', { error: error.message }),
    );
  }

  adopt(socket: Socket): void {
    if (this.stopped) socket.destroy();
    else this.server.emit('connection', socket);
  }

  /** Stop accepting; open HTTP/1.1 exchanges finish, HTTP/2 sessions get GOAWAY and finish their streams. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.watch?.close();
    this.unsubscribeManaged?.();
    this.server.close();
    this.http1.stop();
    for (const session of this.sessions) session.close();
  }
}
