/**
 * Turns the part of a request path below a static route's prefix into file name segments, or
 * refuses it. This is the first of two containment guards (the second compares real paths after
 * symlinks are resolved), so it assumes nothing about what ran before it: it must stay safe
 * even on a path whose dot segments were never removed.
 *
 * Each segment is percent-decoded exactly once: `%252e%252e` names the file `%2e%2e`, never `..`.
 */
export type PathRefusal =
  /** Bad percent-encoding or a NUL byte: the request itself is broken (400). */
  | 'malformed'
  /** `%2F` / `%5C` or a raw backslash: a separator hidden inside a segment (404). */
  | 'hidden_separator'
  /** `.` or `..` (in any spelling) survived to here (404). */
  | 'dot_segment'
  /** A segment starting with `.` while dotfiles are off: 404 so its existence is not revealed. */
  | 'dotfile';

export type RequestPath =
  | {
      readonly ok: true;
      /** Decoded file names from the route's root down, never empty strings. */
      readonly segments: readonly string[];
      /** The path ended in `/`: the client asks for a directory. */
      readonly directoryForm: boolean;
    }
  | { readonly ok: false; readonly refusal: PathRefusal };

const ENCODED_SEPARATOR = /%2f|%5c/i;

/**
 * The request path below `prefix` (both already matched by the route table), still encoded:
 * `''` for the prefix itself, otherwise starting with `/`.
 */
export function pathBelowPrefix(path: string, prefix: string): string {
  return prefix === '/' ? path : path.slice(prefix.length);
}

export function resolveRequestPath(encoded: string, allowDotfiles: boolean): RequestPath {
  if (encoded.includes('\0')) return refuse('malformed');
  const segments: string[] = [];
  const raw = encoded.split('/');
  for (let i = 0; i < raw.length; i++) {
    const segment = raw[i];
    // Empty segments (`//`, the leading and a trailing `/`) are merged away, as nginx does.
    if (segment.length === 0) continue;
    if (segment.includes('\\') || ENCODED_SEPARATOR.test(segment)) return refuse('hidden_separator');
    const name = decodeOnce(segment);
    if (name === null || name.includes('\0')) return refuse('malformed');
    if (name === '.' || name === '..') return refuse('dot_segment');
    if (name.charCodeAt(0) === 46 /* . */ && !allowDotfiles) return refuse('dotfile');
    segments.push(name);
  }
  return { ok: true, segments, directoryForm: encoded.endsWith('/') };
}

/** Whether any segment of `segments` is a dotfile name. */
export function hasDotSegment(segments: readonly string[]): boolean {
  for (const segment of segments) if (segment.charCodeAt(0) === 46) return true;
  return false;
}

function decodeOnce(segment: string): string | null {
  if (!segment.includes('%')) return segment;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

function refuse(refusal: PathRefusal): RequestPath {
  return { ok: false, refusal };
}
