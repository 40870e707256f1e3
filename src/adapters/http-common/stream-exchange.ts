import type { Readable } from 'node:stream';
import { BaseExchange } from './base-exchange';

/**
 * An exchange whose request body is a Node readable stream (node:http's IncomingMessage, an
 * HTTP/2 stream): body chunks feed the InboundBody, whose flow control pauses and resumes the
 * stream. The response side, and what a full body means for the connection, stay with the
 * subclass. (µWebSockets hands the body over in its own callbacks and extends BaseExchange directly.)
 */
export abstract class StreamExchange extends BaseExchange {
  protected constructor(
    /** Where the request body comes from. */
    private readonly bodyStream: Readable,
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
    maxBodyBytes: number | null,
    connectionClose: boolean,
  ) {
    super(method, path, query, hostname, authority, headers, remoteAddress, scheme, protocol, tlsVersion, hasBody, maxBodyBytes, connectionClose);
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

  // ---- BodyConnection ---------------------------------------------------------------------

  pauseReading(): void {
    this.bodyStream.pause();
  }

  resumeReading(): void {
    this.bodyStream.resume();
  }
}
