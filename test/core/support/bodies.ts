import type { BodySink, BodySource } from '../../../src/ports/body';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (chunk: Uint8Array): string => decoder.decode(chunk);

/** The client's request body: the test pushes chunks; starts, pauses and resumes are recorded. */
export class FakeBodySource implements BodySource {
  sink: BodySink | null = null;
  starts = 0;
  pauses = 0;
  resumes = 0;
  /** Whether the last flow-control call was a pause. */
  paused = false;

  start(sink: BodySink): void {
    this.starts++;
    this.sink = sink;
  }

  pause(): void {
    this.pauses++;
    this.paused = true;
  }

  resume(): void {
    this.resumes++;
    this.paused = false;
  }

  push(chunk: string): void {
    this.requireSink().onBodyChunk(bytes(chunk));
  }

  end(): void {
    this.requireSink().onBodyEnd();
  }

  fail(error: Error): void {
    this.requireSink().onBodyError(error);
  }

  private requireSink(): BodySink {
    if (this.sink === null) throw new Error('the body source was not started');
    return this.sink;
  }
}

/** Plays the upstream side of a body: records what arrives as `chunk:<text>`, `end`, `error:<message>`. */
export class RecordingSink implements BodySink {
  readonly log: string[] = [];
  /** Called after each chunk is recorded (e.g. to pause the source from inside a delivery). */
  onChunk: ((chunk: Uint8Array) => void) | null = null;

  onBodyChunk(chunk: Uint8Array): void {
    this.log.push(`chunk:${text(chunk)}`);
    this.onChunk?.(chunk);
  }

  onBodyEnd(): void {
    this.log.push('end');
  }

  onBodyError(error: Error): void {
    this.log.push(`error:${error.message}`);
  }

  /** The chunks received so far, joined. */
  get body(): string {
    return this.log
      .filter((entry) => entry.startsWith('chunk:'))
      .map((entry) => entry.slice('chunk:'.length))
      .join('');
  }
}
