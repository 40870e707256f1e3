import type { UpstreamTlsSpec } from '../model';
import type { UpstreamTls } from '../../ports/upstream-client';

/** One configured backend, parsed once at config load. */
export interface UpstreamTarget {
  /** As configured; the identity of the backend (metrics, state carry-over). */
  readonly url: string;
  /** `scheme://host:port`. */
  readonly origin: string;
  /** The connection pool's identity: the origin, plus the TLS settings' id for https. */
  readonly poolKey: string;
  /** TLS verification for an https:// target; `null` for http://. */
  readonly tls: UpstreamTls | null;
  /** Host header value when the Host is not preserved. */
  readonly authority: string;
  /** Path prepended to every forwarded path; '' when the target has none. */
  readonly basePath: string;
}

/** Settings id of https targets verified the default way (system CAs, the target's name). */
const SYSTEM_TLS_ID = 'system';

/** `url` must already be validated as an absolute http(s) URL. */
export function parseUpstreamTarget(url: string, tlsSpec: UpstreamTlsSpec | null = null): UpstreamTarget {
  const parsed = new URL(url);
  const basePath = parsed.pathname === '/' ? '' : parsed.pathname.replace(/\/$/, '');
  let tls: UpstreamTls | null = null;
  if (parsed.protocol === 'https:') {
    tls = {
      ca: tlsSpec?.ca ?? null,
      serverName: tlsSpec?.serverName ?? (isIpLiteral(parsed.hostname) ? null : parsed.hostname),
      verify: !(tlsSpec?.insecureSkipVerify ?? false),
      id: tlsSpec?.id ?? SYSTEM_TLS_ID,
    };
  }
  const poolKey = tls === null ? parsed.origin : `${parsed.origin}|${tls.id}`;
  return { url, origin: parsed.origin, poolKey, tls, authority: parsed.host, basePath };
}

/** SNI never carries an IP address (RFC 6066 §3). `URL` has already normalised the host. */
function isIpLiteral(hostname: string): boolean {
  return hostname.startsWith('[') || /^\d+\.\d+\.\d+\.\d+$/.test(hostname);
}
