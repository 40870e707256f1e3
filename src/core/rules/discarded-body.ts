import type { BodySink } from '../../ports/body';

/** Told how a discarded client body ends. */
export interface DiscardedBodyOwner {
  /** The whole body has been read (and dropped). */
  clientBodyDiscarded(): void;
  /** It failed, e.g. it grew over limits.max_body_bytes or the client left. */
  clientBodyFailed(error: Error): void;
}

/**
 * Reads the client's request body and drops it, used when request_body replaces it. It is read
 * at the client's pace with nothing kept, to its end, rather than cancelled: a client still
 * sending when its answer came and the connection closed could see a reset instead of the
 * answer, and the connection stays usable for the client's next request.
 */
export class DiscardedBody implements BodySink {
  constructor(private readonly owner: DiscardedBodyOwner) {}

  onBodyChunk(): void {
    // Dropped on purpose.
  }

  onBodyEnd(): void {
    this.owner.clientBodyDiscarded();
  }

  onBodyError(error: Error): void {
    this.owner.clientBodyFailed(error);
  }
}
