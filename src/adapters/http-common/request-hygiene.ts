import type { ListenSpec } from '../../ports/http-server';

/**
 * RFC 9112 / 9110 checks the µWebSockets parser does not make (verified with raw sockets):
 * it takes the first of two different Content-Length values and serves the rest of the body as
 * a new request, treats any Transfer-Encoding containing "chunked" as chunked, accepts an empty
 * Host and only caps header size when headers arrive in pieces.
 */
export interface HygieneVerdict {
  readonly status: number;
  readonly code: 'bad_request' | 'request_header_fields_too_large' | 'payload_too_large' | 'not_implemented';
  readonly reason: string;
}

export interface RequestFraming {
  /** Declared body length; null when chunked or no body. */
  readonly contentLength: number | null;
  readonly chunked: boolean;
  readonly host: string;
  readonly connectionClose: boolean;
  /**
   * Content-Length was sent more than once with the same value. RFC 9110 §8.6 lets a recipient
   * fold those into one; the adapter must, because undici refuses to forward a duplicate.
   */
  readonly repeatedContentLength: boolean;
}

const HOST_PATTERN = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(?::\d{1,5})?$/;
const DIGITS = /^\d+$/;

function verdict(status: HygieneVerdict['status'], code: HygieneVerdict['code'], reason: string): HygieneVerdict {
  return { status, code, reason };
}

/**
 * A request's raw `[Name, value, ...]` header list with names lower-cased (the shape the hygiene
 * checks and the core read), and its size as the checks count it (name, value, ": " and CRLF).
 */
export function lowerCasedHeaders(raw: readonly string[]): { headers: string[]; bytes: number } {
  const headers: string[] = new Array<string>(raw.length);
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) {
    headers[i] = raw[i].toLowerCase();
    headers[i + 1] = raw[i + 1];
    bytes += raw[i].length + raw[i + 1].length + 4;
  }
  return { headers, bytes };
}

/** Returns the framing when the request is acceptable, or the verdict to answer it with. */
export function inspectRequest(
  headers: readonly string[],
  headerBytes: number,
  limits: ListenSpec['limits'],
): RequestFraming | HygieneVerdict {
  if (headers.length / 2 > limits.maxHeaders) {
    return verdict(431, 'request_header_fields_too_large', `more than ${limits.maxHeaders} headers`);
  }
  if (headerBytes > limits.maxHeaderBytes) {
    return verdict(431, 'request_header_fields_too_large', `header block over ${limits.maxHeaderBytes} bytes`);
  }
  let host: string | null = null;
  let hostCount = 0;
  let contentLength: string | null = null;
  let contentLengthCount = 0;
  let transferEncoding: string | null = null;
  let transferEncodingCount = 0;
  let connectionClose = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    const value = headers[i + 1];
    switch (name) {
      case 'host':
        hostCount++;
        host = value;
        break;
      case 'content-length':
        if (!DIGITS.test(value)) return verdict(400, 'bad_request', 'malformed Content-Length');
        if (contentLength !== null && contentLength !== value) {
          return verdict(400, 'bad_request', 'conflicting Content-Length headers');
        }
        contentLength = value;
        contentLengthCount++;
        break;
      case 'transfer-encoding':
        transferEncodingCount++;
        transferEncoding = value;
        break;
      case 'connection':
        if (/(?:^|,)\s*close\s*(?:,|$)/i.test(value)) connectionClose = true;
        break;
    }
  }
  if (hostCount !== 1 || host === null || host.length === 0 || !HOST_PATTERN.test(host)) {
    return verdict(400, 'bad_request', hostCount > 1 ? 'duplicate Host' : 'missing or malformed Host');
  }
  let chunked = false;
  if (transferEncoding !== null) {
    if (contentLength !== null) return verdict(400, 'bad_request', 'both Transfer-Encoding and Content-Length');
    if (transferEncodingCount > 1) return verdict(400, 'bad_request', 'repeated Transfer-Encoding');
    const rejection = inspectTransferCodings(transferEncoding);
    if (rejection !== null) return rejection;
    chunked = true;
  }
  const declared = contentLength === null ? null : Number(contentLength);
  if (declared !== null && !Number.isSafeInteger(declared)) return verdict(400, 'bad_request', 'Content-Length too large');
  if (declared !== null && limits.maxBodyBytes !== null && declared > limits.maxBodyBytes) {
    return verdict(413, 'payload_too_large', `body over ${limits.maxBodyBytes} bytes`);
  }
  return {
    contentLength: declared === 0 ? null : declared,
    chunked,
    host,
    connectionClose,
    repeatedContentLength: contentLengthCount > 1,
  };
}

const KNOWN_CODINGS = new Set(['chunked', 'gzip', 'x-gzip', 'deflate', 'compress', 'x-compress', 'identity']);

/** Only plain `chunked` is accepted; other codings are refused rather than guessed at. */
function inspectTransferCodings(value: string): HygieneVerdict | null {
  const codings = value.split(',').map((token) => token.trim().toLowerCase());
  if (codings.length === 1 && codings[0] === 'chunked') return null;
  if (codings.some((coding) => coding.length === 0)) return verdict(400, 'bad_request', 'empty transfer coding');
  if (codings.some((coding) => !KNOWN_CODINGS.has(coding))) return verdict(501, 'not_implemented', 'unknown transfer coding');
  if (codings[codings.length - 1] !== 'chunked') return verdict(400, 'bad_request', 'chunked is not the final transfer coding');
  return verdict(501, 'not_implemented', 'transfer codings other than chunked are not supported');
}

/** The header list with every Content-Length after the first removed (all carry one value). */
export function withSingleContentLength(headers: readonly string[]): string[] {
  const out: string[] = [];
  let seen = false;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === 'content-length') {
      if (seen) continue;
      seen = true;
    }
    out.push(headers[i], headers[i + 1]);
  }
  return out;
}

export function isVerdict(result: RequestFraming | HygieneVerdict): result is HygieneVerdict {
  return (result as HygieneVerdict).status !== undefined;
}

/** Lower-cased host without port or IPv6 brackets' port. */
export function hostnameOf(host: string): string {
  if (host.charCodeAt(0) === 91 /* '[' */) {
    const end = host.indexOf(']');
    return host.slice(0, end + 1).toLowerCase();
  }
  const colon = host.indexOf(':');
  return (colon === -1 ? host : host.slice(0, colon)).toLowerCase();
}
