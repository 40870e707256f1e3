import type { ContentCoding } from '../../ports/compression';
import type { CompressionSpec } from '../model';

/** A route's `compression`, compiled: what it offers and which responses qualify. */
export class CompressionPolicy {
  readonly codings: readonly ContentCoding[];
  private readonly minBytes: number;
  private readonly exactTypes: ReadonlySet<string>;
  /** `text/*` kept as `text/`. */
  private readonly typePrefixes: readonly string[];

  constructor(spec: CompressionSpec) {
    this.codings = spec.algorithms;
    this.minBytes = spec.minBytes;
    const types = spec.types.map((type) => type.toLowerCase());
    this.exactTypes = new Set(types.filter((type) => !type.endsWith('/*')));
    this.typePrefixes = types.filter((type) => type.endsWith('/*')).map((type) => type.slice(0, -1));
  }

  /**
   * Whether a response may be compressed at all (whatever the client accepts): not already
   * encoded, not a range, not `no-transform`, not too small, of a listed type, with a body.
   */
  qualifies(status: number, headers: readonly string[], contentLength: number | null): boolean {
    if (status < 200 || status === 204 || status === 206 || status === 304) return false;
    if (contentLength !== null && contentLength < this.minBytes) return false;
    let typeMatches = false;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (name === 'content-encoding' && value.trim().toLowerCase() !== 'identity') return false;
      if (name === 'content-range') return false;
      if (name === 'cache-control' && /(^|[\s,])no-transform([\s,]|$)/i.test(value)) return false;
      if (name === 'content-type') typeMatches = this.typeMatches(value);
    }
    return typeMatches;
  }

  private typeMatches(contentType: string): boolean {
    const semicolon = contentType.indexOf(';');
    const media = (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase();
    if (this.exactTypes.has(media)) return true;
    for (const prefix of this.typePrefixes) if (media.startsWith(prefix)) return true;
    return false;
  }
}

/**
 * The head of a compressed response: Content-Encoding set, Vary: Accept-Encoding, and a strong
 * ETag weakened (the bytes differ from the identity representation's; RFC 9110 §8.8.1).
 */
export function compressedHead(headers: readonly string[], coding: ContentCoding): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'content-length' || name === 'content-encoding') continue;
    const value = headers[i + 1];
    out.push(name, name === 'etag' && !value.startsWith('W/') ? 'W/' + value : value);
  }
  out.push('content-encoding', coding, 'vary', 'accept-encoding');
  return out;
}
