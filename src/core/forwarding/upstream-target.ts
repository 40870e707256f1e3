/** One configured backend, parsed once at config load. */
export interface UpstreamTarget {
  /** As configured; the identity of the backend (metrics, state carry-over). */
  readonly url: string;
  /** `scheme://host:port`, the pool key. */
  readonly origin: string;
  /** Host header value when the Host is not preserved. */
  readonly authority: string;
  /** Path prepended to every forwarded path; '' when the target has none. */
  readonly basePath: string;
}

/** `url` must already be validated as an absolute http(s) URL. */
export function parseUpstreamTarget(url: string): UpstreamTarget {
  const parsed = new URL(url);
  const basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '');
  return { url, origin: parsed.origin, authority: parsed.host, basePath };
}
