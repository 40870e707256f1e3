/** Precompressed siblings prox can serve, and the file suffix each lives under. */
export type PrecompressedCoding = 'br' | 'gzip';

export const CODING_SUFFIX: Readonly<Record<PrecompressedCoding, string>> = { br: '.br', gzip: '.gz' };

const NONE: readonly PrecompressedCoding[] = [];

/**
 * The precompressed codings the client accepts, best first: higher q first, Brotli before gzip
 * on a tie. `q=0` refuses a coding, also one admitted by `*`. Without the header nothing is
 * compressed: a client that did not ask may not cope.
 */
export function acceptedCodings(acceptEncoding: string | null): readonly PrecompressedCoding[] {
  if (acceptEncoding === null) return NONE;
  let br: number | null = null;
  let gzip: number | null = null;
  let any: number | null = null;
  for (const entry of acceptEncoding.split(',')) {
    const parts = entry.split(';');
    const coding = parts[0].trim().toLowerCase();
    const q = qualityOf(parts);
    if (coding === 'br') br = q;
    else if (coding === 'gzip' || coding === 'x-gzip') gzip = Math.max(gzip ?? 0, q);
    else if (coding === '*') any = q;
  }
  const brQ = br ?? any ?? 0;
  const gzipQ = gzip ?? any ?? 0;
  const out: PrecompressedCoding[] = [];
  if (brQ > 0) out.push('br');
  if (gzipQ > 0) {
    if (gzipQ > brQ) out.unshift('gzip');
    else out.push('gzip');
  }
  return out;
}

function qualityOf(parts: readonly string[]): number {
  for (let i = 1; i < parts.length; i++) {
    const parameter = parts[i].trim();
    if (parameter.length > 2 && (parameter[0] === 'q' || parameter[0] === 'Q') && parameter[1] === '=') {
      const q = Number(parameter.slice(2));
      return Number.isFinite(q) && q >= 0 && q <= 1 ? q : 0;
    }
  }
  return 1;
}
