import { NativeParser, type ParseError } from '../http-common/llhttp';

export type { ParseError } from '../http-common/llhttp';

/** What the connection is told while a response is parsed; `this` is never used. */
export interface ResponseParserEvents {
  /**
   * A response head: `rawHeaders` flat `[Name, value, ...]` as received. Return true when the
   * response has no body whatever its framing says (the answer to a HEAD, a 1xx).
   */
  onHead(status: number, rawHeaders: string[], keepAlive: boolean, upgrade: boolean): boolean;
  onBody(chunk: Buffer): void;
  onMessageComplete(): void;
}

/** One llhttp response parser bound to one connection's events. */
export class ResponseParser {
  private readonly parser = new NativeParser();
  /** Headers flushed before the head completed (more than 32 lines, or a head split across reads). */
  private partial: string[] | null = null;

  constructor(events: ResponseParserEvents, maxHeaderSize: number) {
    const parser = this.parser;
    parser.initialize(NativeParser.RESPONSE, {}, maxHeaderSize, NativeParser.kLenientNone);
    parser[NativeParser.kOnHeaders] = (headers: string[]): void => {
      if (this.partial === null) this.partial = headers;
      else for (let i = 0; i < headers.length; i += 1) this.partial.push(headers[i]);
    };
    parser[NativeParser.kOnHeadersComplete] = (
      _major: number,
      _minor: number,
      headers: string[] | undefined,
      _method: unknown,
      _url: unknown,
      status: number,
      _statusMessage: string,
      upgrade: boolean,
      keepAlive: boolean,
    ): number => {
      let raw = headers;
      if (this.partial !== null) {
        raw = headers === undefined ? this.partial : this.partial.concat(headers);
        this.partial = null;
      }
      // 1 = "no body follows" to llhttp.
      return events.onHead(status, raw ?? [], keepAlive, upgrade) ? 1 : 0;
    };
    parser[NativeParser.kOnBody] = (chunk: Buffer): void => events.onBody(chunk);
    parser[NativeParser.kOnMessageComplete] = (): void => events.onMessageComplete();
  }

  execute(data: Buffer): ParseError | null {
    const result = this.parser.execute(data);
    return typeof result === 'number' ? null : result;
  }

  finish(): ParseError | null {
    return this.parser.finish() ?? null;
  }

  close(): void {
    this.parser.close();
  }
}
