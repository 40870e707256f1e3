/** A content coding prox can compress responses with. */
export type ContentCoding = 'zstd' | 'br' | 'gzip';

/**
 * Response compression: negotiation and streaming encoders. Behind a port because both are
 * outside the pure core (an Accept-Encoding parser package, zlib's thread pool).
 */
export interface ResponseCompressor {
  /** The codings this runtime can produce (zstd only where the Node version has it). */
  readonly available: readonly ContentCoding[];
  /**
   * The coding to answer with, from `offered` (in the operator's order of preference), given
   * the request's Accept-Encoding with its q-values; null means identity (no compression).
   */
  negotiate(acceptEncoding: string | null, offered: readonly ContentCoding[]): ContentCoding | null;
  /** A streaming encoder whose output goes to `sink`. */
  open(coding: ContentCoding, sink: EncodedSink): StreamEncoder;
}

export const ResponseCompressor = Symbol.for('prox.ResponseCompressor');

/** Where an encoder's output goes. */
export interface EncodedSink {
  /** Returns false when the receiver is full: the encoder then waits for `resumeOutput`. */
  data(chunk: Uint8Array): boolean;
  /** All output delivered. */
  end(): void;
  failed(error: Error): void;
}

export interface StreamEncoder {
  /** Returns false when the encoder's input is full: wait for `onDrain`. */
  write(chunk: Uint8Array): boolean;
  /** Called once when the encoder can take more input after `write` returned false. */
  onDrain(callback: () => void): void;
  /** Flush and finish; `sink.end` follows. */
  end(): void;
  /** The sink can take more output again. */
  resumeOutput(): void;
  /** Stop and free everything (client gone, abort). */
  destroy(): void;
}
