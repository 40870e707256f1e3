import { connect, type Socket } from 'node:net';
import { readClientHello } from '../../core/tcp/client-hello';
import { decodeProxyHeader, encodeProxyHeader } from '../../core/tcp/proxy-protocol';
import type { CompiledTcpListener, TcpPool } from '../../core/tcp/tcp-listener';
import type { TcpCloseReason, TcpConnectionRecord, TcpOutcome } from '../../ports/tcp-proxy';

/**
 * One client connection: optional preamble (a trusted PROXY header, the ClientHello's SNI name),
 * then a backend chosen and connected (the next healthy one after a failed connect, while no
 * byte has been forwarded), then bytes relayed both ways with `pipe` (backpressure) and
 * half-close kept (`allowHalfOpen`), until both sides end, a side fails, or it idles too long.
 */
export class TcpRelay {
  private backend: Socket | null = null;
  private backendLabel: string | null = null;
  private pool: TcpPool | null = null;
  private poolIndex = -1;
  private outcome: TcpOutcome = 'forwarded';
  private reason: TcpCloseReason | null = null;
  private finished = false;
  private clientAddress: string;
  private clientPort: number;
  /** Bytes read before the backend was chosen, forwarded first (minus a consumed PROXY header). */
  private preamble: Buffer = Buffer.alloc(0);
  private readonly startedMonotonic = performance.now();
  private readonly startedAt = Date.now();
  private clientClosed = false;
  private clientEnded = false;
  private backendClosed = true;
  private backendEnded = false;

  constructor(
    private readonly client: Socket,
    private readonly listener: CompiledTcpListener,
    private readonly done: (record: TcpConnectionRecord) => void,
  ) {
    this.clientAddress = client.remoteAddress ?? '';
    this.clientPort = client.remotePort ?? 0;
  }

  start(): void {
    const client = this.client;
    client.on('error', () => this.fail('client_error'));
    client.on('close', () => {
      this.clientClosed = true;
      // Closed without its FIN (a reset): what it sent is incomplete, so the backend is cut too.
      if (this.backend === null || !this.clientEnded) this.fail(this.reason ?? 'client_closed');
      this.settle();
    });
    client.on('end', () => {
      this.clientEnded = true;
      this.noteEnd('client_closed');
    });
    client.setTimeout(this.listener.idleTimeoutMs, () => this.fail('idle_timeout'));
    const readsProxyHeader = this.listener.readsProxyHeaderFrom(this.clientAddress);
    if (!readsProxyHeader && this.listener.sni === null) {
      this.connectTo(this.listener.defaultPool);
      return;
    }
    this.readPreamble(readsProxyHeader);
  }

  /** Closes the connection at once (shutdown past its timeout). */
  close(reason: TcpCloseReason): void {
    this.fail(reason);
  }

  private readPreamble(readsProxyHeader: boolean): void {
    let needsProxyHeader = readsProxyHeader;
    // A client that never sends its first bytes must not hold a slot forever.
    const timer = setTimeout(() => this.fail('preamble_timeout'), this.listener.connectTimeoutMs);
    const onData = (chunk: Buffer): void => {
      this.preamble = this.preamble.length === 0 ? chunk : Buffer.concat([this.preamble, chunk]);
      if (needsProxyHeader) {
        const header = decodeProxyHeader(this.preamble);
        if (header.kind === 'incomplete') return;
        if (header.kind === 'invalid') {
          stop();
          this.refuse('rejected', 'bad_proxy_header');
          return;
        }
        if (header.source !== null) {
          this.clientAddress = header.source.address;
          this.clientPort = header.source.port;
        }
        this.preamble = this.preamble.subarray(header.length);
        needsProxyHeader = false;
      }
      let pool = this.listener.defaultPool;
      if (this.listener.sni !== null) {
        const hello = readClientHello(this.preamble);
        if (hello.kind === 'incomplete') return;
        if (hello.kind === 'client_hello' && hello.serverName !== null) pool = this.listener.sni.lookup(hello.serverName) ?? pool;
      }
      stop();
      this.connectTo(pool);
    };
    const stop = (): void => {
      clearTimeout(timer);
      this.client.pause();
      this.client.off('data', onData);
    };
    this.client.on('data', onData);
    // Accepted paused (pauseOnConnect): a 'data' listener alone does not start reading.
    this.client.resume();
    this.client.once('close', () => clearTimeout(timer));
  }

  private connectTo(pool: TcpPool | null): void {
    if (this.finished || this.clientClosed) return;
    if (pool === null) {
      this.refuse('no_backend', 'no_backend');
      return;
    }
    this.pool = pool;
    this.attempt([]);
  }

  private attempt(tried: number[]): void {
    const pool = this.pool!;
    const index = pool.choose(this.clientAddress, tried);
    if (index === -1) {
      this.refuse(tried.length === 0 ? 'no_backend' : 'connect_failed', tried.length === 0 ? 'no_backend' : 'connect_failed');
      return;
    }
    const target = pool.backends[index]!;
    pool.begin(index);
    const backend = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
    let over = false;
    const giveUp = (tryNext: boolean): void => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      this.client.off('close', clientLeft);
      pool.end(index, false);
      backend.destroy();
      if (tryNext && !this.finished && !this.clientClosed) this.attempt([...tried, index]);
    };
    const clientLeft = (): void => giveUp(false);
    const timer = setTimeout(() => giveUp(true), this.listener.connectTimeoutMs);
    backend.once('error', () => giveUp(true));
    this.client.once('close', clientLeft);
    backend.once('connect', () => {
      if (over) return;
      over = true;
      clearTimeout(timer);
      this.client.off('close', clientLeft);
      backend.removeAllListeners('error');
      this.poolIndex = index;
      this.relay(backend, target.label);
    });
  }

  private relay(backend: Socket, label: string): void {
    this.backend = backend;
    this.backendLabel = label;
    this.backendClosed = false;
    const client = this.client;
    backend.on('error', () => this.fail('backend_error'));
    backend.on('end', () => {
      this.backendEnded = true;
      this.noteEnd('backend_closed');
    });
    backend.on('close', () => {
      this.backendClosed = true;
      if (!this.backendEnded) this.fail(this.reason ?? 'backend_error');
      this.settle();
    });
    const version = this.listener.config.proxyProtocol;
    if (version !== null) {
      const header = encodeProxyHeader(version === 'v1' ? 1 : 2, { address: this.clientAddress, port: this.clientPort }, { address: client.localAddress ?? '', port: client.localPort ?? 0 });
      backend.write(header);
    }
    if (this.preamble.length > 0) backend.write(this.preamble);
    this.preamble = Buffer.alloc(0);
    client.pipe(backend);
    backend.pipe(client);
    client.resume();
  }

  /** The first side to send FIN names the reason, unless an error or timeout came first. */
  private noteEnd(reason: TcpCloseReason): void {
    if (this.reason === null) this.reason = reason;
  }

  private refuse(outcome: TcpOutcome, reason: TcpCloseReason): void {
    this.outcome = outcome;
    this.fail(reason);
  }

  private fail(reason: TcpCloseReason): void {
    if (this.reason === null || reason === 'shutdown' || reason === 'idle_timeout') this.reason = reason;
    this.client.destroy();
    this.backend?.destroy();
    this.settle();
  }

  /** Reports once both sockets are closed. */
  private settle(): void {
    if (this.finished || !this.client.destroyed || (this.backend !== null && !this.backendClosed)) return;
    if (!this.clientClosed && this.backend === null && this.reason === null) return;
    this.finished = true;
    if (this.pool !== null && this.poolIndex !== -1) this.pool.end(this.poolIndex, true);
    this.done({
      listener: this.listener.key,
      client: this.clientAddress.includes(':') ? `[${this.clientAddress}]:${this.clientPort}` : `${this.clientAddress}:${this.clientPort}`,
      backend: this.backendLabel,
      outcome: this.outcome,
      closeReason: this.reason ?? 'client_closed',
      bytesIn: this.client.bytesRead,
      bytesOut: this.client.bytesWritten,
      durationMs: performance.now() - this.startedMonotonic,
      startedAt: this.startedAt,
    });
  }
}
