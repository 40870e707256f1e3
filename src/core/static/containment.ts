/**
 * Real-path containment: after symlinks are resolved, a served file must still lie inside the
 * real path of the route's root. Paths are absolute POSIX paths (prox serves from Linux/macOS).
 */

/** `root` joined with vetted segments (no `/`, `.`, `..` or NUL in any of them). */
export function joinUnderRoot(root: string, segments: readonly string[]): string {
  if (segments.length === 0) return root;
  return (root.endsWith('/') ? root : root + '/') + segments.join('/');
}

/** True when `realPath` is `realRoot` or below it on a segment boundary. */
export function isWithinRoot(realRoot: string, realPath: string): boolean {
  if (realPath === realRoot) return true;
  const base = realRoot.endsWith('/') ? realRoot : realRoot + '/';
  return realPath.startsWith(base);
}

/** The segments of `realPath` below `realRoot`; call only when `isWithinRoot` holds. */
export function segmentsBelowRoot(realRoot: string, realPath: string): string[] {
  if (realPath === realRoot) return [];
  const base = realRoot.endsWith('/') ? realRoot : realRoot + '/';
  return realPath.slice(base.length).split('/');
}
