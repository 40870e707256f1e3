/**
 * Node's own HTTP/1 parser (llhttp compiled into the binary, the one `node:http` uses), reached
 * through `_http_common`, which Node exports on every supported version without a deprecation.
 * Only the small surface below is used: prox's HTTP/1.1 upstream client parses responses with
 * it, prox's own inbound HTTP/1.1 server parses requests.
 *
 * Two facts shape its users: callbacks run synchronously inside `execute`, and `pause()` from a
 * callback takes effect only after `execute` returns, so every message in one buffer is parsed
 * (a server queues pipelined requests rather than pausing between them).
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const common = require('node:_http_common') as { HTTPParser: NativeParserConstructor; methods: readonly string[] };

export interface NativeParserConstructor {
  new (): NativeParser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kLenientNone: number;
}

export interface NativeParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenientFlags: number): void;
  /**
   * Parsed byte count, or an Error with `code` (`HPE_*`) and `reason`. After an upgrade (a
   * head answered with 2 by the headers-complete callback) the count stops at the end of the
   * head: what follows belongs to the upgraded protocol.
   */
  execute(data: Buffer): number | ParseError;
  /** End of input: completes a read-until-close body, or an Error when a message is cut. */
  finish(): undefined | ParseError;
  close(): void;
  /** Leaves node's list of parsers with connections (a pooled parser is reused, not closed). */
  remove(): void;
  /** Ends the parser's async resource before it waits in a pool. */
  free(): void;
  [callback: number]: unknown;
}

export type ParseError = Error & { code: string; reason?: string; bytesParsed?: number };

export const NativeParser: NativeParserConstructor = common.HTTPParser;

/** Request methods by the index llhttp reports them with. */
export const PARSER_METHODS: readonly string[] = common.methods;
