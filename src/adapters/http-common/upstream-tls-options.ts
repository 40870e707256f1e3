import type { UpstreamTls } from '../../ports/upstream-client';

/** `tls.connect` options for an https upstream (undici passes them on to `tls.connect` too). */
export function tlsConnectOptions(tls: UpstreamTls): { ca?: string; servername?: string; rejectUnauthorized: boolean } {
  return {
    ...(tls.ca === null ? {} : { ca: tls.ca }),
    ...(tls.serverName === null ? {} : { servername: tls.serverName }),
    rejectUnauthorized: tls.verify,
  };
}
