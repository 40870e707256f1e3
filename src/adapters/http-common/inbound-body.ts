import type { BodySink, BodySource } from '../../ports/body';
import { BodyTooLargeError, ClientBodyAbortedError } from '../../ports/body-errors';

/** Request bodies are held this far before the client is paused while no consumer reads. */
const UNCLAIMED_BODY_BUFFER_BYTES = 64 * 1024;

/** The connection under a request body, as the body needs it: flow control and the size limit. */
export interface BodyConnection {
  pauseReading(): void;
  resumeReading(): void;
  /** The body broke `max_body_bytes`: the rest is still on the wire, the connection is spent. */
  bodyTooLarge(): void;
}

/**
 * A client's request body as a BodySource, for either inbound server: chunks arriving before a
 * consumer starts are held (pausing the client past 64 KiB), `max_body_bytes` is enforced, and a
 * client that leaves or a body that breaks the limit is reported to the consumer exactly once.
 */
export class InboundBody implements BodySource {
  private sink: BodySink | null = null;
  private unclaimedChunks: Uint8Array[] | null = null;
  private unclaimedBytes = 0;
  private receivedBytes = 0;
  private complete = false;
  private failed = false;
  private readingPaused = false;
  private clientGone = false;

  constructor(
    private readonly connection: BodyConnection,
    private readonly maxBodyBytes: number | null,
  ) {}

  get bytesReceived(): number {
    return this.receivedBytes;
  }

  /** One chunk from the connection (the body keeps it: copy it first if the server reuses it). */
  accept(chunk: Uint8Array): void {
    if (this.failed) return;
    this.receivedBytes += chunk.byteLength;
    if (this.maxBodyBytes !== null && this.receivedBytes > this.maxBodyBytes) return this.failTooLarge();
    if (this.sink !== null) {
      this.sink.onBodyChunk(chunk);
    } else {
      (this.unclaimedChunks ??= []).push(chunk);
      this.unclaimedBytes += chunk.byteLength;
      if (this.unclaimedBytes > UNCLAIMED_BODY_BUFFER_BYTES) this.pause();
    }
  }

  /** The connection delivered the last byte of the body. */
  finish(): void {
    if (this.failed) return;
    this.complete = true;
    this.sink?.onBodyEnd();
  }

  /** The client went away; a body still arriving is reported as aborted. */
  clientLeft(): void {
    this.clientGone = true;
    if (this.complete || this.failed) return;
    this.failed = true;
    this.sink?.onBodyError(new ClientBodyAbortedError());
  }

  private failTooLarge(): void {
    this.failed = true;
    this.unclaimedChunks = null;
    this.connection.bodyTooLarge();
    this.sink?.onBodyError(new BodyTooLargeError(this.maxBodyBytes ?? 0));
  }

  /** Reads on regardless of consumers (the body is being dropped, e.g. after a 413). */
  keepDraining(): void {
    this.readingPaused = false;
    this.connection.resumeReading();
  }

  start(sink: BodySink): void {
    this.sink = sink;
    const chunks = this.unclaimedChunks;
    this.unclaimedChunks = null;
    this.unclaimedBytes = 0;
    if (this.failed) {
      const error = this.clientGone ? new ClientBodyAbortedError() : new BodyTooLargeError(this.maxBodyBytes ?? 0);
      // The consumer is still setting itself up inside start(): report on the next tick, as a
      // failure found while streaming would be.
      process.nextTick(() => sink.onBodyError(error));
      return;
    }
    if (chunks !== null) for (const chunk of chunks) sink.onBodyChunk(chunk);
    if (this.complete) sink.onBodyEnd();
    else this.resume();
  }

  pause(): void {
    if (this.readingPaused || this.complete || this.clientGone) return;
    this.readingPaused = true;
    this.connection.pauseReading();
  }

  resume(): void {
    if (!this.readingPaused || this.clientGone) return;
    this.readingPaused = false;
    this.connection.resumeReading();
  }

  /** A response went out before anyone read the body: read and drop the rest. */
  discardUnread(): void {
    if (this.complete || this.sink !== null) return;
    this.unclaimedChunks = null;
    this.sink = DISCARDING_SINK;
    this.resume();
  }
}

const DISCARDING_SINK: BodySink = {
  onBodyChunk: () => undefined,
  onBodyEnd: () => undefined,
  onBodyError: () => undefined,
};
