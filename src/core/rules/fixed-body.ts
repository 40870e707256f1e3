import type { BodySink, BodySource } from '../../ports/body';

/**
 * A request body known in full (a request_body replacement): delivered in one chunk. A new one
 * is made for each attempt, so a retry sends the same bytes again. The bytes are shared with
 * the compiled rule; nothing on the way upstream writes into a body chunk.
 */
export class FixedBody implements BodySource {
  constructor(private readonly bytes: Uint8Array) {}

  start(sink: BodySink): void {
    if (this.bytes.byteLength > 0) sink.onBodyChunk(this.bytes);
    sink.onBodyEnd();
  }

  pause(): void {
    // One chunk, delivered at once: nothing to hold back.
  }

  resume(): void {
    // See pause.
  }
}
