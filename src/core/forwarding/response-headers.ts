import { connectionNominatedHeaders, isHopByHop } from './hop-by-hop';

export interface ClientResponseHead {
  readonly headers: string[];
  /** Parsed upstream Content-Length; null when the upstream did not frame by length. */
  readonly contentLength: number | null;
}

/**
 * Turns the upstream's response headers into the ones sent to the client. Framing headers
 * (Content-Length, Transfer-Encoding) are removed because the inbound adapter frames the body
 * itself from `contentLength`; Date is removed because the adapter stamps its own.
 */
export function buildClientResponseHead(upstreamHeaders: readonly string[]): ClientResponseHead {
  const nominated = connectionNominatedHeaders(upstreamHeaders);
  const headers: string[] = [];
  let contentLength: number | null = null;
  for (let i = 0; i < upstreamHeaders.length; i += 2) {
    const name = upstreamHeaders[i];
    switch (name) {
      case 'content-length':
        contentLength = parseContentLength(upstreamHeaders[i + 1]);
        continue;
      case 'date':
        continue;
    }
    if (isHopByHop(name) || (nominated !== null && nominated.has(name))) continue;
    headers.push(name, upstreamHeaders[i + 1]);
  }
  return { headers, contentLength };
}

function parseContentLength(value: string): number | null {
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(parsed) ? parsed : null;
}
