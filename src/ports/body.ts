/**
 * A request body that arrives in pieces and can be throttled.
 *
 * Flow control is explicit so that a slow consumer (the upstream) pauses the producer (the client
 * socket) instead of letting bytes pile up in memory.
 */
export interface BodySource {
  /** Begin delivering chunks to the sink. Called at most once. */
  start(sink: BodySink): void;
  pause(): void;
  resume(): void;
}

export interface BodySink {
  /** The chunk is owned by the sink (the source never reuses its memory). */
  onBodyChunk(chunk: Uint8Array): void;
  onBodyEnd(): void;
  /** The client went away or broke the framing before the body was complete. */
  onBodyError(error: Error): void;
}
