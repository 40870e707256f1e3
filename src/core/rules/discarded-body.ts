import type { BodySink } from '../../ports/body';

/** Told when a discarded client body fails (e.g. it grew over limits.max_body_bytes). */
export interface DiscardedBodyOwner {
  clientBodyFailed(error: Error): void;
}

/**
 * Reads the client's request body and drops it, used when request_body replaces it. It is read
 * at once, at the client's pace and with nothing kept, rather than cancelled: the connection
 * stays usable for the client's next request, and a client that insists on sending its whole
 * body before reading the answer never stalls. limits.max_body_bytes still bounds it.
 */
export class DiscardedBody implements BodySink {
  constructor(private readonly owner: DiscardedBodyOwner) {}

  onBodyChunk(): void {
    // Dropped on purpose.
  }

  onBodyEnd(): void {
    // Nothing waits for the end of a body nobody uses.
  }

  onBodyError(error: Error): void {
    this.owner.clientBodyFailed(error);
  }
}
