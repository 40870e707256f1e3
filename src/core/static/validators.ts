import { formatHttpDate, parseHttpDate } from './http-date';

/** What a representation is compared by in conditional requests. */
export interface Validators {
  /** Strong entity tag, quotes included. */
  readonly etag: string;
  /** Modification time truncated to whole seconds, as Last-Modified can express it. */
  readonly lastModifiedMs: number;
  readonly lastModified: string;
}

/**
 * Size and modification time, like nginx; a precompressed variant gets its coding appended so
 * the `.br` and `.gz` siblings of one file never share a tag.
 */
export function validatorsFor(size: number, mtimeMs: number, coding: string | null): Validators {
  const seconds = Math.floor(mtimeMs / 1000) * 1000;
  const tag = Math.floor(mtimeMs).toString(16) + '-' + size.toString(16) + (coding === null ? '' : '-' + coding);
  return { etag: '"' + tag + '"', lastModifiedMs: seconds, lastModified: formatHttpDate(seconds) };
}

/**
 * RFC 9110 §13.2.2 steps 1 and 2: If-Match decides when present (strong comparison, `*` matches
 * the existing file); only without it does If-Unmodified-Since count. False means 412.
 */
export function preconditionsHold(ifMatch: string | null, ifUnmodifiedSince: string | null, validators: Validators, nowMs: number): boolean {
  if (ifMatch !== null) return matchesAnyTag(ifMatch, validators.etag, true);
  if (ifUnmodifiedSince === null) return true;
  const since = parseHttpDate(ifUnmodifiedSince, nowMs);
  // An invalid date is ignored (§13.1.4).
  return since === null || validators.lastModifiedMs <= since;
}

/**
 * RFC 9110 §13.2.2 steps 3 and 4 for GET/HEAD: If-None-Match decides when present (weak
 * comparison); only without it does If-Modified-Since count.
 */
export function isNotModified(ifNoneMatch: string | null, ifModifiedSince: string | null, validators: Validators, nowMs: number): boolean {
  if (ifNoneMatch !== null) return matchesAnyTag(ifNoneMatch, validators.etag, false);
  if (ifModifiedSince === null) return false;
  const since = parseHttpDate(ifModifiedSince, nowMs);
  return since !== null && validators.lastModifiedMs <= since;
}

/**
 * RFC 9110 §13.1.5: a Range applies only while If-Range still matches: an entity tag by strong
 * comparison, a date only when it equals Last-Modified exactly.
 */
export function ifRangeHolds(ifRange: string | null, validators: Validators, nowMs: number): boolean {
  if (ifRange === null) return true;
  const value = ifRange.trim();
  if (value.startsWith('"') || value.startsWith('W/')) return value === validators.etag;
  const date = parseHttpDate(value, nowMs);
  return date !== null && date === validators.lastModifiedMs;
}

function matchesAnyTag(list: string, etag: string, strong: boolean): boolean {
  const opaque = etag.startsWith('W/') ? etag.slice(2) : etag;
  for (const entry of list.split(',')) {
    const tag = entry.trim();
    if (tag === '*') return true;
    if (tag.startsWith('W/')) {
      if (!strong && tag.slice(2) === opaque) return true;
    } else if (tag === opaque) {
      return true;
    }
  }
  return false;
}
