import { statusLine } from '../http-common/status-lines';

/** Anything outside visible ASCII, space and tab: such a header needs a closer look. */
const NEEDS_CARE = /[^\t\x20-\x7e]/;
/** What may not go into a value: CR, LF, NUL, other controls, characters over 0xff. */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** How the response body is delimited on the wire. */
export const enum Framing {
  /** No body follows the head (HEAD, 204, 304, or an empty one with its length stated). */
  None,
  /** Content-Length is in the head. */
  Length,
  /** Transfer-Encoding: chunked (an HTTP/1.1 client, length unknown). */
  Chunked,
  /** Length unknown and the client speaks HTTP/1.0: the body ends when the connection does. */
  UntilClose,
}

let cachedDate = '';
let cachedDateSecond = -1;

/** The `Date` field value, rebuilt at most once a second (as node:http does). */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== cachedDateSecond) {
    cachedDateSecond = second;
    cachedDate = new Date(now).toUTCString();
  }
  return cachedDate;
}

/** The connection fields of a response that closes its connection. */
export const CLOSE_FIELDS = 'connection: close\r\n';

/** The connection fields of a kept-alive response: the idle timeout is told, as node:http does, so clients retire connections before prox closes them. */
export function keepAliveFields(keepaliveTimeoutMs: number): string {
  return `connection: keep-alive\r\nkeep-alive: timeout=${Math.max(1, Math.floor(keepaliveTimeoutMs / 1000))}\r\n`;
}

/**
 * The response head as one latin1 string: status line, the given fields (one that could split
 * the response, or whose name is not a token, is dropped rather than written), `Date` when the
 * fields have none, the framing field and the connection fields. Values arrive latin1-decoded
 * and go out as latin1, so bytes over 0x7f pass unchanged.
 */
export function responseHead(status: number, headers: readonly string[], framing: Framing, contentLength: number | null, connectionFields: string): string {
  let head = 'HTTP/1.1 ' + statusLine(status) + '\r\n';
  let hasDate = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (NEEDS_CARE.test(value) && INVALID_VALUE.test(value)) continue;
    if (!TOKEN.test(name)) continue;
    if (name.length === 4 && name.toLowerCase() === 'date') hasDate = true;
    head += name + ': ' + value + '\r\n';
  }
  if (!hasDate) head += 'date: ' + httpDate() + '\r\n';
  if (contentLength !== null) head += 'content-length: ' + contentLength + '\r\n';
  else if (framing === Framing.Chunked) head += 'transfer-encoding: chunked\r\n';
  return head + connectionFields + '\r\n';
}
