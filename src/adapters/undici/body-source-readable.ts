import { Readable } from 'node:stream';
import type { BodySink, BodySource } from '../../ports/body';

/**
 * Adapts a flow-controlled BodySource to the Readable undici consumes: when undici's buffer is
 * full the source is paused, and undici's next read resumes it. The source is started on the
 * first read, so nothing is pulled from the client before the upstream is ready for it.
 */
export class BodySourceReadable extends Readable implements BodySink {
  private started = false;

  constructor(private readonly source: BodySource) {
    super({ highWaterMark: 64 * 1024 });
  }

  override _read(): void {
    if (this.started) {
      this.source.resume();
    } else {
      this.started = true;
      this.source.start(this);
    }
  }

  onBodyChunk(chunk: Uint8Array): void {
    if (!this.push(chunk)) this.source.pause();
  }

  onBodyEnd(): void {
    this.push(null);
  }

  onBodyError(error: Error): void {
    this.destroy(error);
  }
}
