import type { ContentCoding, EncodedSink, ResponseCompressor, StreamEncoder } from '../../ports/compression';
import type { HttpExchange, InboundRequest } from '../../ports/http-server';
import { compressedHead, type CompressionPolicy } from './compression';

/**
 * An exchange whose streamed responses are compressed on the way out, when the response
 * qualifies and the client accepts one of the route's codings. Everything else passes through:
 * `respond` (prox's own small answers), responses that do not qualify, and WebSocket upgrades
 * (never wrapped). Backpressure is kept end to end: the producer's `write` returns false while
 * the encoder's input is full, and the encoder's output waits while the client is slow.
 */
export class CompressingExchange implements HttpExchange {
  private encoder: StreamEncoder | null = null;
  private ended = false;
  private waitingForClient = false;

  constructor(
    private readonly inner: HttpExchange,
    private readonly policy: CompressionPolicy,
    /** null: the client accepts none of the route's codings (identity answers still get Vary). */
    private readonly coding: ContentCoding | null,
    private readonly compressor: ResponseCompressor,
  ) {}

  get request(): InboundRequest {
    return this.inner.request;
  }

  get finished(): boolean {
    return this.ended || this.inner.finished;
  }

  get bytesReceived(): number {
    return this.inner.bytesReceived;
  }

  get bytesSent(): number {
    return this.inner.bytesSent;
  }

  respond(status: number, headers: readonly string[], body: string | Uint8Array | null): void {
    this.inner.respond(status, headers, body);
  }

  startResponse(status: number, headers: readonly string[], contentLength: number | null): void {
    if (!this.policy.qualifies(status, headers, contentLength)) return this.inner.startResponse(status, headers, contentLength);
    if (this.coding === null) return this.inner.startResponse(status, [...headers, 'vary', 'accept-encoding'], contentLength);
    this.encoder = this.compressor.open(this.coding, this.toClient);
    this.inner.onClientGone(() => this.encoder?.destroy());
    this.inner.startResponse(status, compressedHead(headers, this.coding), null);
  }

  write(chunk: Uint8Array): boolean {
    if (this.encoder === null) return this.inner.write(chunk);
    return this.encoder.write(chunk);
  }

  end(): void {
    if (this.encoder === null) return this.inner.end();
    this.ended = true;
    this.encoder.end();
  }

  abort(): void {
    this.ended = true;
    this.encoder?.destroy();
    this.inner.abort();
  }

  onWritable(callback: () => void): void {
    if (this.encoder === null) return this.inner.onWritable(callback);
    this.encoder.onDrain(callback);
  }

  onClientGone(callback: () => void): void {
    this.inner.onClientGone(callback);
  }

  /** The encoder's output, to the client. */
  private readonly toClient: EncodedSink = {
    data: (chunk) => {
      if (this.inner.finished) return true;
      if (this.inner.write(chunk)) return true;
      if (!this.waitingForClient) {
        this.waitingForClient = true;
        this.inner.onWritable(() => {
          this.waitingForClient = false;
          this.encoder?.resumeOutput();
        });
      }
      return false;
    },
    end: () => {
      if (!this.inner.finished) this.inner.end();
    },
    failed: () => {
      if (!this.inner.finished) this.inner.abort();
    },
  };
}
