import { parseByteRange } from './byte-range';
import type { PrecompressedCoding } from './content-coding';
import { headerValue } from './request-headers';
import { ifRangeHolds, isNotModified, preconditionsHold, validatorsFor } from './validators';

/** The file about to be served, as far as the response head is concerned. */
export interface Representation {
  readonly size: number;
  readonly mtimeMs: number;
  /** Content-Type of the file the client asked for (not of its `.br`/`.gz` sibling). */
  readonly contentType: string;
  /** Set when a precompressed sibling is served. */
  readonly coding: PrecompressedCoding | null;
}

export interface HeadSettings {
  readonly cacheControl: string | null;
  /** The route serves precompressed siblings: every file answer varies by Accept-Encoding. */
  readonly varyByEncoding: boolean;
}

/** What to answer: status, headers (request id not included), and which bytes to send. */
export interface ResponsePlan {
  readonly status: 200 | 206 | 304 | 412 | 416;
  readonly headers: string[];
  /** First byte of the body and its length (Content-Length); 0/0 for 304, 412 and 416. HEAD announces the length but sends nothing. */
  readonly start: number;
  readonly length: number;
}

/**
 * Decides a file answer from the request's conditional and Range headers (RFC 9110 §13.2.2
 * order: conditions first, then Range). Only GET takes ranges; HEAD mirrors GET's 200.
 */
export function planFileResponse(method: string, requestHeaders: readonly string[], file: Representation, settings: HeadSettings, nowMs: number): ResponsePlan {
  const validators = validatorsFor(file.size, file.mtimeMs, file.coding);
  const headers: string[] = ['etag', validators.etag, 'last-modified', validators.lastModified];
  if (settings.cacheControl !== null) headers.push('cache-control', settings.cacheControl);
  if (settings.varyByEncoding) headers.push('vary', 'Accept-Encoding');

  if (!preconditionsHold(headerValue(requestHeaders, 'if-match'), headerValue(requestHeaders, 'if-unmodified-since'), validators, nowMs)) {
    return { status: 412, headers: [], start: 0, length: 0 };
  }
  if (isNotModified(headerValue(requestHeaders, 'if-none-match'), headerValue(requestHeaders, 'if-modified-since'), validators, nowMs)) {
    return { status: 304, headers, start: 0, length: 0 };
  }
  headers.push('accept-ranges', 'bytes');
  const isGet = method === 'GET';
  const range = isGet && ifRangeHolds(headerValue(requestHeaders, 'if-range'), validators, nowMs)
    ? parseByteRange(headerValue(requestHeaders, 'range'), file.size)
    : null;
  if (range !== null && range.kind === 'unsatisfiable') {
    return { status: 416, headers: ['accept-ranges', 'bytes', 'content-range', `bytes */${file.size}`], start: 0, length: 0 };
  }
  headers.push('content-type', file.contentType);
  if (file.coding !== null) headers.push('content-encoding', file.coding);
  if (range !== null && range.kind === 'part') {
    headers.push('content-range', `bytes ${range.start}-${range.end}/${file.size}`);
    return { status: 206, headers, start: range.start, length: range.end - range.start + 1 };
  }
  return { status: 200, headers, start: 0, length: file.size };
}
