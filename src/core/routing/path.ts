/**
 * Removes dot segments (`.`, `..`, and their percent-encoded spellings) from a request path, so
 * that routing and rewriting see the path the upstream will resolve. Without this,
 * `/api/../admin` would match `/api` and, after a rewrite, escape the rewritten prefix upstream.
 *
 * Returns the path unchanged (same string) when it holds nothing to normalise: the common case
 * costs one scan.
 */
export function removeDotSegments(path: string): string {
  if (!mayHoldDotSegment(path)) return path;
  const input = path.split('/');
  const output: string[] = [];
  for (let i = 1; i < input.length; i++) {
    const segment = input[i];
    const isLast = i === input.length - 1;
    if (isSingleDot(segment)) {
      if (isLast) output.push('');
    } else if (isDoubleDot(segment)) {
      output.pop();
      if (isLast) output.push('');
    } else {
      output.push(segment);
    }
  }
  return '/' + output.join('/');
}

function mayHoldDotSegment(path: string): boolean {
  return path.includes('/.') || path.includes('%2e') || path.includes('%2E');
}

function isSingleDot(segment: string): boolean {
  return segment === '.' || segment.toLowerCase() === '%2e';
}

function isDoubleDot(segment: string): boolean {
  if (segment === '..') return true;
  if (segment.length < 4 || segment.length > 6) return false;
  const lower = segment.toLowerCase();
  return lower === '%2e%2e' || lower === '.%2e' || lower === '%2e.';
}

/** True when `path` is `prefix` itself or lies below it on a segment boundary. */
export function isUnderPrefix(path: string, prefix: string): boolean {
  if (prefix === '/') return true;
  if (!path.startsWith(prefix)) return false;
  return path.length === prefix.length || path.charCodeAt(prefix.length) === 47 /* '/' */;
}

/**
 * Replaces the matched `prefix` of `path` with `replacement`, keeping what follows.
 * `/api/users` with prefix `/api` and replacement `/v2` becomes `/v2/users`.
 */
export function replacePrefix(path: string, prefix: string, replacement: string): string {
  const rest = prefix === '/' ? path.slice(1) : path.slice(prefix.length + 1);
  if (rest.length === 0 && path.length === (prefix === '/' ? 1 : prefix.length)) return replacement;
  return replacement.endsWith('/') ? replacement + rest : replacement + '/' + rest;
}
