/** What a Range header asks of a representation of `size` bytes. */
export type RangeRequest =
  /** No usable Range (absent, another unit, malformed, several ranges): send it all with 200. */
  | { readonly kind: 'whole' }
  /** One satisfiable range, inclusive bounds, already clipped to the size: 206. */
  | { readonly kind: 'part'; readonly start: number; readonly end: number }
  /** One range that starts past the end: 416 with `Content-Range: bytes *\/size`. */
  | { readonly kind: 'unsatisfiable' };

const WHOLE: RangeRequest = { kind: 'whole' };
const UNSATISFIABLE: RangeRequest = { kind: 'unsatisfiable' };
const RANGE_SPEC = /^(\d*)-(\d*)$/;

/**
 * Single byte ranges only (RFC 9110 §14). A request for several ranges gets the whole
 * representation, which the RFC allows and which avoids building multipart bodies; a malformed
 * header is ignored the same way, as §14.2 permits.
 */
export function parseByteRange(header: string | null, size: number): RangeRequest {
  if (header === null || size === 0) return WHOLE;
  const equals = header.indexOf('=');
  if (equals === -1 || header.slice(0, equals).trim().toLowerCase() !== 'bytes') return WHOLE;
  const specs = header
    .slice(equals + 1)
    .split(',')
    .map((spec) => spec.trim())
    .filter((spec) => spec.length > 0);
  if (specs.length !== 1) return WHOLE;
  const match = RANGE_SPEC.exec(specs[0]);
  if (match === null) return WHOLE;
  const [, first, last] = match;
  if (first.length === 0) {
    if (last.length === 0) return WHOLE;
    const suffix = Number(last);
    if (suffix === 0) return UNSATISFIABLE;
    return { kind: 'part', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last.length === 0 ? Infinity : Number(last);
  if (end < start) return WHOLE;
  if (start >= size) return UNSATISFIABLE;
  return { kind: 'part', start, end: Math.min(end, size - 1) };
}
