import type { BodySink, BodySource } from '../../ports/body';
import { BodyTimeoutError, BodyTooLargeError, ClientBodyAbortedError } from '../../ports/body-errors';

/** Request bodies are held this far before the client is paused while no consumer reads. */
const UNCLAIMED_BODY_BUFFER_BYTES = 64 * 1024;

/** The connection under a request body, as the body needs it: flow control and the size limit. */
export interface BodyConnection {
  pauseReading(): void;
  resumeReading(): void;
  /** The body broke `max_body_bytes`: the rest is still on the wire, the connection is spent. */
  bodyTooLarge(): void;
  /**
   * No body byte arrived for `body_timeout_secs` while prox was reading: the connection is spent
   * (408 if nothing was answered yet, then close; closed at once if the answer already went out).
   */
  bodyTimedOut(): void;
}

/** The listener limits a request body is held to. */
export interface BodyLimits {
  /** `null` means unlimited. */
  readonly maxBodyBytes: number | null;
  /** Longest wait for the next body byte while reading. */
  readonly bodyTimeoutMs: number;
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
  /** Why the body failed, when it did not time out or come too large (client gone). */
  private failure: 'too_large' | 'timeout' | null = null;
  /** Runs while prox reads and waits for the client's next byte; stopped while paused. */
  private idleTimer: NodeJS.Timeout | null = null;
  private readonly maxBodyBytes: number | null;

  constructor(
    private readonly connection: BodyConnection,
    private readonly limits: BodyLimits,
  ) {
    this.maxBodyBytes = limits.maxBodyBytes;
    this.startIdleTimer();
  }

  get bytesReceived(): number {
    return this.receivedBytes;
  }

  /** Reading is paused for this body (its consumer is behind, or nobody claimed it yet). */
  get readingIsPaused(): boolean {
    return this.readingPaused;
  }

  /** One chunk from the connection (the body keeps it: copy it first if the server reuses it). */
  accept(chunk: Uint8Array): void {
    if (this.failed) return;
    this.idleTimer?.refresh();
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
    this.stopIdleTimer();
    this.sink?.onBodyEnd();
  }

  /** The client went away; a body still arriving is reported as aborted. */
  clientLeft(): void {
    this.clientGone = true;
    this.stopIdleTimer();
    if (this.complete || this.failed) return;
    this.failed = true;
    this.sink?.onBodyError(new ClientBodyAbortedError());
  }

  private failTooLarge(): void {
    this.failed = true;
    this.failure = 'too_large';
    this.stopIdleTimer();
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
      const error = this.failureError();
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
    // A paused client sends nothing because of prox, not because it is slow.
    this.stopIdleTimer();
    this.connection.pauseReading();
  }

  resume(): void {
    if (!this.readingPaused || this.clientGone) return;
    this.readingPaused = false;
    this.startIdleTimer();
    this.connection.resumeReading();
  }

  private failureError(): Error {
    if (this.failure === 'timeout') return new BodyTimeoutError(this.limits.bodyTimeoutMs);
    if (this.failure === 'too_large') return new BodyTooLargeError(this.maxBodyBytes ?? 0);
    return new ClientBodyAbortedError();
  }

  private startIdleTimer(): void {
    if (this.complete || this.failed || this.clientGone) return;
    if (this.idleTimer !== null) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(this.timedOut, this.limits.bodyTimeoutMs).unref();
  }

  private stopIdleTimer(): void {
    if (this.idleTimer === null) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = null;
  }

  private readonly timedOut = (): void => {
    this.idleTimer = null;
    if (this.complete || this.failed || this.clientGone || this.readingPaused) return;
    this.failed = true;
    this.failure = 'timeout';
    this.unclaimedChunks = null;
    this.connection.bodyTimedOut();
    this.sink?.onBodyError(new BodyTimeoutError(this.limits.bodyTimeoutMs));
  };

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
