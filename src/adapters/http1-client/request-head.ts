import type { UpstreamRequest } from '../../ports/upstream-client';

/** What a request line and its header values must not carry (they would split the message). */
const UNSAFE_VALUE = /[\r\n\0]/;
/** A request target is visible ASCII and Latin-1 only: no space, control or DEL. */
const UNSAFE_TARGET = /[^\u0021-\u007e\u0080-\u00ff]/;
const DIGITS = /^\d{1,15}$/;
/** Methods whose requests carry a body by definition: they get `content-length: 0` without one. */
const PAYLOAD_METHODS = new Set(['POST', 'PUT', 'PATCH']);

export interface RequestHead {
  /** The head as one Latin-1 string (header bytes pass through one to one). */
  readonly text: string;
  /** `content-length` when the request names one; null = chunked (or no body). */
  readonly contentLength: number | null;
}

/**
 * Serialises an upstream request head. The header list is already clean (hop-by-hop removed,
 * Host set); a body without a `content-length` is sent chunked. Returns a reason string
 * instead when a value would break the message framing.
 */
export function serializeRequestHead(request: UpstreamRequest): RequestHead | string {
  if (UNSAFE_TARGET.test(request.pathAndQuery)) return 'the request target has a character HTTP/1.1 does not allow';
  const headers = request.headers;
  let text = request.method + ' ' + request.pathAndQuery + ' HTTP/1.1\r\n';
  let contentLength: number | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    if (UNSAFE_VALUE.test(value)) return `header ${name} has a CR, LF or NUL in its value`;
    if (name === 'content-length') {
      contentLength = DIGITS.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(contentLength)) return 'content-length is not a number';
    }
    text += name + ': ' + value + '\r\n';
  }
  if (request.body !== null) {
    if (contentLength === null) text += 'transfer-encoding: chunked\r\n';
  } else if (contentLength === null && PAYLOAD_METHODS.has(request.method)) {
    text += 'content-length: 0\r\n';
  }
  return { text: text + '\r\n', contentLength };
}
