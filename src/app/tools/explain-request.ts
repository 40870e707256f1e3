import type { InboundRequest } from '../../ports/http-server';

/** What `prox explain` is asked about: one request as a client would send it. */
export interface ExplainInput {
  readonly method: string;
  /** `http(s)://host[:port]/path?query`, or `/path?query` with a Host header. */
  readonly url: string;
  /** `Name: value` lines, as curl's -H takes them. */
  readonly headers: readonly string[];
  /** The direct peer's address (default 127.0.0.1). */
  readonly clientIp: string;
}

const ABSOLUTE_URL = /^(https?):\/\/([^/?#]+)([^?#]*)(?:\?([^#]*))?/i;
const ORIGIN_FORM = /^(\/[^?#]*)(?:\?([^#]*))?/;

/**
 * The request as an inbound adapter would hand it to the pipeline. The path is kept as written
 * (no URL normalisation), so dot segments and encodings reach routing exactly as on the wire.
 */
export function inboundRequestOf(input: ExplainInput): InboundRequest {
  const headers: string[] = [];
  for (const line of input.headers) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`header "${line}" is not "Name: value"`);
    headers.push(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  let scheme: 'http' | 'https' = 'http';
  let authority: string;
  let path: string;
  let query: string;
  const absolute = ABSOLUTE_URL.exec(input.url);
  if (absolute !== null) {
    scheme = absolute[1].toLowerCase() as 'http' | 'https';
    authority = absolute[2];
    path = absolute[3] === '' ? '/' : absolute[3];
    query = absolute[4] ?? '';
    if (!hasHeader(headers, 'host')) headers.unshift('host', authority);
  } else {
    const originForm = ORIGIN_FORM.exec(input.url);
    if (originForm === null) throw new Error(`"${input.url}" is neither an http(s):// URL nor a path starting with /`);
    path = originForm[1];
    query = originForm[2] ?? '';
    authority = headerValue(headers, 'host') ?? 'localhost';
  }
  return {
    method: input.method.toUpperCase(),
    path,
    query,
    hostname: hostnameOf(authority),
    authority,
    headers,
    remoteAddress: input.clientIp,
    scheme,
    body: null,
  };
}

/** Lower-cased, port and IPv6 brackets' port stripped, as the inbound adapters do. */
function hostnameOf(authority: string): string {
  const lower = authority.toLowerCase();
  if (lower.startsWith('[')) return lower.slice(0, lower.indexOf(']') + 1);
  const colon = lower.lastIndexOf(':');
  return colon === -1 ? lower : lower.slice(0, colon);
}

function hasHeader(headers: readonly string[], name: string): boolean {
  return headerValue(headers, name) !== null;
}

function headerValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return null;
}
