import { NativeParser } from '../http-common/llhttp';

/**
 * Request parsers kept for reuse, as node:http keeps its own: creating one per connection is a
 * native allocation plus its setup, paid by every short connection (`Connection: close`).
 */
const POOL_SIZE = 256;
const idle: NativeParser[] = [];

/** A parser ready for a new connection's requests. */
export function takeRequestParser(maxHeaderSize: number): NativeParser {
  const parser = idle.pop() ?? new NativeParser();
  parser.initialize(NativeParser.REQUEST, {}, maxHeaderSize, NativeParser.kLenientNone);
  return parser;
}

/** Back to the pool once its connection is done with it (never while it is executing). */
export function returnRequestParser(parser: NativeParser): void {
  // The callbacks hold the old connection: a pooled parser must keep nothing alive.
  parser[NativeParser.kOnMessageBegin] = null;
  parser[NativeParser.kOnHeaders] = null;
  parser[NativeParser.kOnHeadersComplete] = null;
  parser[NativeParser.kOnBody] = null;
  parser[NativeParser.kOnMessageComplete] = null;
  if (idle.length < POOL_SIZE) {
    parser.remove();
    parser.free();
    idle.push(parser);
  } else {
    parser.close();
  }
}
