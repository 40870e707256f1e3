import type { BodySink, BodySource } from '../../ports/body';

/**
 * A request body that can be sent more than once, so a failed attempt can be retried.
 *
 * The client's body is read once. Each attempt gets its own view: chunks already received are
 * replayed from memory, then the view continues with live chunks. Memory is bounded: once the
 * body outgrows `limitBytes` the copy is dropped and no further attempt can be made (a body
 * that has been partly streamed upstream and is not kept whole must never be replayed).
 */
export class ReplayableBody implements BodySink {
  private recorded: Uint8Array[] = [];
  private recordedBytes = 0;
  private overflowed = false;
  private ended = false;
  private failure: Error | null = null;
  private sourceStarted = false;
  private current: AttemptBody | null = null;

  constructor(
    private readonly source: BodySource,
    private readonly limitBytes: number,
  ) {}

  /** Whether another attempt could still send the whole body. */
  get replayable(): boolean {
    return !this.overflowed && this.failure === null;
  }

  /** Whether the copy was dropped: a further attempt would send only part of the body. */
  get truncated(): boolean {
    return this.overflowed;
  }

  /** A fresh view for the next attempt; the previous attempt's view goes quiet. */
  nextAttempt(): BodySource {
    this.endAttempt();
    this.current = new AttemptBody(this);
    return this.current;
  }

  /** The current attempt is over: its view goes quiet until `nextAttempt` (e.g. during a back-off). */
  endAttempt(): void {
    if (this.current === null || this.current.detached) return;
    this.current.detached = true;
    // Nobody reads until the next attempt starts; keep the client from filling memory.
    if (this.sourceStarted && !this.ended) this.source.pause();
  }

  /** @internal called by AttemptBody.start */
  attach(view: AttemptBody, sink: BodySink): void {
    // Snapshot: chunks that arrive while replaying go to the live path below, in order.
    const replay = this.recorded.slice();
    for (const chunk of replay) sink.onBodyChunk(chunk);
    if (view.detached) return;
    if (this.failure !== null) return sink.onBodyError(this.failure);
    if (this.ended) return sink.onBodyEnd();
    if (!this.sourceStarted) {
      this.sourceStarted = true;
      this.source.start(this);
    } else if (!view.paused) {
      // The reader may have asked for a pause while the recorded chunks were replayed.
      this.source.resume();
    }
  }

  /** @internal */
  pauseFor(view: AttemptBody): void {
    if (view === this.current && this.sourceStarted) this.source.pause();
  }

  /** @internal */
  resumeFor(view: AttemptBody): void {
    if (view === this.current && this.sourceStarted) this.source.resume();
  }

  onBodyChunk(chunk: Uint8Array): void {
    if (!this.overflowed) {
      if (this.recordedBytes + chunk.byteLength > this.limitBytes) {
        this.overflowed = true;
        this.recorded = [];
        this.recordedBytes = 0;
      } else {
        this.recorded.push(chunk);
        this.recordedBytes += chunk.byteLength;
      }
    }
    this.current?.deliverChunk(chunk);
  }

  onBodyEnd(): void {
    this.ended = true;
    this.current?.deliverEnd();
  }

  onBodyError(error: Error): void {
    this.failure = error;
    this.current?.deliverError(error);
  }
}

class AttemptBody implements BodySource {
  detached = false;
  /** The reader asked for a pause and has not resumed since. */
  paused = false;
  private sink: BodySink | null = null;

  constructor(private readonly owner: ReplayableBody) {}

  start(sink: BodySink): void {
    if (this.detached) return;
    this.sink = sink;
    this.owner.attach(this, sink);
  }

  pause(): void {
    if (this.detached) return;
    this.paused = true;
    this.owner.pauseFor(this);
  }

  resume(): void {
    if (this.detached) return;
    this.paused = false;
    this.owner.resumeFor(this);
  }

  deliverChunk(chunk: Uint8Array): void {
    if (!this.detached) this.sink?.onBodyChunk(chunk);
  }

  deliverEnd(): void {
    if (!this.detached) this.sink?.onBodyEnd();
  }

  deliverError(error: Error): void {
    if (!this.detached) this.sink?.onBodyError(error);
  }
}
