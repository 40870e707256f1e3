import { connectionNominatedHeaders, isHopByHop } from './hop-by-hop';

export interface ClientResponseHead {
  readonly headers: string[];
  /** Parsed upstream Content-Length; null when the upstream did not frame by length. */
  readonly contentLength: number | null;
}

/**
 * Turns the upstream's response headers into the ones sent to the client. Framing headers
 * (Content-Length, Transfer-Encoding) are removed because the inbound adapter frames the body
 * itself from `contentLength`; Date is removed because the adapter stamps its own;
 * `replacedHeader` (the request id) is removed because prox sets its own value.
 */
export function buildClientResponseHead(upstreamHeaders: readonly string[], replacedHeader: string | null = null): ClientResponseHead {
  const nominated = connectionNominatedHeaders(upstreamHeaders);
  const headers: string[] = [];
  let contentLength: number | null = null;
  let lengthLines = 0;
  let chunked = false;
  for (let i = 0; i < upstreamHeaders.length; i += 2) {
    const name = upstreamHeaders[i];
    switch (name) {
      case 'content-length': {
        const parsed = parseContentLength(upstreamHeaders[i + 1]);
        // Repeated lines must agree; otherwise the length is unknowable.
        contentLength = lengthLines === 0 || parsed === contentLength ? parsed : null;
        lengthLines++;
        continue;
      }
      case 'transfer-encoding':
        chunked = true;
        continue;
      case 'date':
        continue;
    }
    if (isHopByHop(name) || (nominated !== null && nominated.has(name)) || name === replacedHeader) continue;
    headers.push(name, upstreamHeaders[i + 1]);
  }
  // Transfer-Encoding overrides Content-Length (RFC 9112 §6.3): the body is not that long.
  return { headers, contentLength: chunked ? null : contentLength };
}

function parseContentLength(value: string): number | null {
  const parsed = /^\d+$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(parsed) ? parsed : null;
}
