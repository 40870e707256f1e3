import Negotiator from 'negotiator';
import * as zlib from 'node:zlib';
import type { Transform } from 'node:stream';
import type { ContentCoding, EncodedSink, ResponseCompressor, StreamEncoder } from '../../ports/compression';

/**
 * Brotli's default quality (11) is for precompressing files; on the fly it costs tens of times
 * gzip's CPU. 4 is the usual on-the-fly choice: smaller than gzip at similar speed.
 */
const BROTLI_STREAM_QUALITY = 4;

type ZstdFactory = (options?: object) => Transform;

/** Node 22.15+ / 23.8+ have zstd in zlib; Node 20 does not. */
const createZstdCompress = (zlib as unknown as { createZstdCompress?: ZstdFactory }).createZstdCompress ?? null;

const IDENTITY = 'identity';

/** negotiator 1.x: among equal q-values, `preferred` decides (its @types still describe 0.6). */
interface PreferringNegotiator {
  encoding(available: readonly string[], options: { preferred: readonly string[] }): string | undefined;
}

/** Compression on node:zlib, negotiation by `negotiator` (RFC 9110 q-values, `*`, `identity;q=0`). */
export class ZlibResponseCompressor implements ResponseCompressor {
  readonly available: readonly ContentCoding[] = createZstdCompress === null ? ['br', 'gzip'] : ['zstd', 'br', 'gzip'];

  negotiate(acceptEncoding: string | null, offered: readonly ContentCoding[]): ContentCoding | null {
    if (acceptEncoding === null || acceptEncoding.length === 0) return null;
    const usable = offered.filter((coding) => this.available.includes(coding));
    if (usable.length === 0) return null;
    const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as PreferringNegotiator;
    const chosen = negotiator.encoding([...usable, IDENTITY], { preferred: usable });
    return chosen === undefined || chosen === IDENTITY ? null : (chosen as ContentCoding);
  }

  open(coding: ContentCoding, sink: EncodedSink): StreamEncoder {
    return new ZlibEncoder(transformFor(coding), sink);
  }
}

function transformFor(coding: ContentCoding): Transform {
  switch (coding) {
    case 'gzip':
      return zlib.createGzip();
    case 'br':
      return zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: BROTLI_STREAM_QUALITY } });
    case 'zstd':
      if (createZstdCompress === null) throw new Error('zstd is not available in this Node version');
      return createZstdCompress();
  }
}

/**
 * One response's encoder. Backpressure both ways: the transform's readable side is paused while
 * the client cannot take more (so its buffers fill and `write` returns false), and `write`'s
 * false tells the producer to wait for `drain`.
 */
class ZlibEncoder implements StreamEncoder {
  private done = false;

  constructor(
    private readonly transform: Transform,
    private readonly sink: EncodedSink,
  ) {
    transform.on('data', (chunk: Buffer) => {
      if (!sink.data(chunk)) transform.pause();
    });
    transform.once('end', () => {
      this.done = true;
      sink.end();
    });
    transform.once('error', (error: Error) => {
      if (this.done) return;
      this.done = true;
      sink.failed(error);
    });
  }

  write(chunk: Uint8Array): boolean {
    return this.transform.write(chunk);
  }

  onDrain(callback: () => void): void {
    this.transform.once('drain', callback);
  }

  end(): void {
    this.transform.end();
  }

  resumeOutput(): void {
    this.transform.resume();
  }

  destroy(): void {
    this.done = true;
    this.transform.destroy();
  }
}
