import type { BalanceStrategy, HashKeySpec } from '../model';

/** The parts of an inbound request a hash key can come from. */
export interface HashKeySource {
  readonly remoteAddress: string;
  /** Flat `[name, value, ...]` list with lower-case names. */
  readonly headers: readonly string[];
}

/**
 * The key a hash strategy balances on, or null when the request has none (the balancer then
 * picks at random). ip_hash: always the client address. consistent_hash: the client address,
 * the first value of a header (null when absent or empty), or a cookie's value (null when
 * absent or empty). Other strategies: null.
 */
export function hashKeyOf(spec: HashKeySpec, strategy: BalanceStrategy, request: HashKeySource): string | null {
  if (strategy === 'ip_hash') return request.remoteAddress;
  if (strategy !== 'consistent_hash') return null;
  switch (spec.by) {
    case 'ip':
      return request.remoteAddress;
    case 'header':
      return spec.name === null ? null : firstHeaderValue(request.headers, spec.name);
    case 'cookie':
      return spec.name === null ? null : cookieValue(request.headers, spec.name);
  }
}

function firstHeaderValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i] === name) return headers[i + 1] === '' ? null : headers[i + 1];
  }
  return null;
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09;
}

/** The value of cookie `name` across all Cookie headers (`a=1; b=2`), first occurrence wins. */
export function cookieValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i + 1 < headers.length; i += 2) {
    if (headers[i] !== 'cookie') continue;
    const found = findCookie(headers[i + 1], name);
    if (found !== undefined) return found === '' ? null : found;
  }
  return null;
}

/** The trimmed value of `name` in one Cookie header value, or undefined when it isn't there. */
function findCookie(header: string, name: string): string | undefined {
  let start = 0;
  while (start < header.length) {
    let end = header.indexOf(';', start);
    if (end === -1) end = header.length;
    const equals = header.indexOf('=', start);
    if (equals !== -1 && equals < end) {
      let nameStart = start;
      let nameEnd = equals;
      while (nameStart < nameEnd && isSpace(header.charCodeAt(nameStart))) nameStart++;
      while (nameEnd > nameStart && isSpace(header.charCodeAt(nameEnd - 1))) nameEnd--;
      if (nameEnd - nameStart === name.length && header.startsWith(name, nameStart)) {
        let valueStart = equals + 1;
        let valueEnd = end;
        while (valueStart < valueEnd && isSpace(header.charCodeAt(valueStart))) valueStart++;
        while (valueEnd > valueStart && isSpace(header.charCodeAt(valueEnd - 1))) valueEnd--;
        return header.slice(valueStart, valueEnd);
      }
    }
    start = end + 1;
  }
  return undefined;
}
