import type { Readable, Writable } from 'node:stream';
import { BaseExchange } from './base-exchange';
import type { BodyLimits } from './inbound-body';

/**
 * An exchange on Node streams (node:http's IncomingMessage + ServerResponse, an HTTP/2 stream):
 * request body chunks feed the InboundBody, whose flow control pauses and resumes the readable;
 * a streamed response body goes to the writable and must reach its announced length. Writing
 * the head, aborting, and what a too-large body means for the connection stay with the subclass. (µWebSockets hands the body over in its own callbacks and extends BaseExchange directly.)
 */
export abstract class StreamExchange extends BaseExchange {
  /** `startResponse` ran: `write`/`end` go to the response stream. */
  protected streaming = false;
  /** Announced length of a streamed body; null when unknown (chunked, or no Content-Length). */
  protected totalLength: number | null = null;

  protected constructor(
    /** Where the request body comes from. */
    private readonly bodyStream: Readable,
    /** Where a streamed response body goes. */
    private readonly responseStream: Writable,
    method: string,
    path: string,
    query: string,
    hostname: string,
    authority: string,
    headers: readonly string[],
    remoteAddress: string,
    scheme: 'http' | 'https',
    protocol: 'http/1.1' | 'h2',
    tlsVersion: string | null,
    hasBody: boolean,
    bodyLimits: BodyLimits,
    connectionClose: boolean,
  ) {
    super(method, path, query, hostname, authority, headers, remoteAddress, scheme, protocol, tlsVersion, hasBody, bodyLimits, connectionClose);
    if (hasBody) {
      bodyStream.on('data', this.handleData);
      bodyStream.on('end', this.handleEnd);
    }
  }

  private readonly handleData = (chunk: Buffer): void => {
    this.inboundBody!.accept(chunk);
  };

  private readonly handleEnd = (): void => {
    this.inboundBody!.finish();
  };

  /** For the subclass's response stream: ready for more after `write` returned false. */
  protected readonly handleDrain = (): void => {
    this.tellWritable();
  };

  write(chunk: Uint8Array): boolean {
    if (this.done || !this.streaming) return true;
    this.bytesSent += chunk.byteLength;
    return this.responseStream.write(chunk);
  }

  end(): void {
    if (this.done || !this.streaming) return;
    if (this.totalLength !== null && this.bytesSent < this.totalLength) {
      // The upstream ended short of its Content-Length: never let that pass as complete.
      this.abort();
      return;
    }
    this.done = true;
    this.responseStream.end();
  }

  // ---- BodyConnection ---------------------------------------------------------------------

  pauseReading(): void {
    this.bodyStream.pause();
  }

  resumeReading(): void {
    this.bodyStream.resume();
  }
}
