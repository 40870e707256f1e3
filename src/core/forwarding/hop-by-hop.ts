/** Headers that describe one connection, not the message (RFC 9110 §7.6.1), plus legacy ones. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const ONLY_KEEP_ALIVE_OR_CLOSE = /^[ \t]*(?:keep-alive|close)[ \t]*$/i;

export function isHopByHop(name: string): boolean {
  return HOP_BY_HOP.has(name);
}

/**
 * Header names listed in `Connection` values are hop-by-hop too. Returns null when there are
 * none, which is the common case and costs no allocation.
 */
export function connectionNominatedHeaders(headers: readonly string[]): Set<string> | null {
  let nominated: Set<string> | null = null;
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] !== 'connection') continue;
    const value = headers[i + 1];
    // Almost every peer sends just one of these two: no list to split.
    if (ONLY_KEEP_ALIVE_OR_CLOSE.test(value)) continue;
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase();
      if (name.length === 0 || name === 'close' || name === 'keep-alive') continue;
      (nominated ??= new Set()).add(name);
    }
  }
  return nominated;
}
