import * as path from 'node:path';
import { DEFAULTS } from './defaults';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import type { CertificateFiles, TlsConfig } from './model';
import type { RawConfig } from './raw-config';

/**
 * `tls` + `protocols` → TlsConfig. A `tls` block with certificate files terminates TLS; one
 * with only `acme` (not active yet) leaves the listener plaintext, as before, with a warning.
 */
export function normaliseTls(raw: RawConfig, configDir: string): TlsConfig | null {
  const tls = raw.tls;
  if (tls === undefined) return null;
  const files = (certPath: string, keyPath: string): CertificateFiles => ({
    certPath: path.resolve(configDir, certPath),
    keyPath: path.resolve(configDir, keyPath),
  });
  const defaultCertificate = tls.cert_path !== undefined && tls.key_path !== undefined ? files(tls.cert_path, tls.key_path) : null;
  const sniCertificates = (tls.certificates ?? DEFAULTS.tls.certificates).map((entry) => files(entry.cert_path, entry.key_path));
  if (defaultCertificate === null && sniCertificates.length === 0) return null;
  let httpListenAddr = null;
  if (tls.http_listen_addr !== undefined) {
    const parsed = parseListenAddress(tls.http_listen_addr);
    if (isListenAddressProblem(parsed)) throw new Error(`unvalidated tls.http_listen_addr reached normalise: ${parsed.message}`);
    httpListenAddr = parsed;
  }
  const protocols = raw.protocols ?? {};
  return {
    defaultCertificate,
    sniCertificates,
    minVersion: tls.min_version ?? (DEFAULTS.tls.minVersion as 'TLSv1.2'),
    httpListenAddr,
    httpRedirect: tls.http_redirect ?? DEFAULTS.tls.httpRedirect,
    hsts:
      tls.hsts === undefined
        ? null
        : {
            maxAgeSecs: tls.hsts.max_age_secs,
            includeSubdomains: tls.hsts.include_subdomains ?? DEFAULTS.tls.hstsIncludeSubdomains,
            preload: tls.hsts.preload ?? DEFAULTS.tls.hstsPreload,
          },
    http2: {
      enabled: protocols.http2_enabled ?? DEFAULTS.http2.enabled,
      maxConcurrentStreams: protocols.http2_max_concurrent_streams ?? DEFAULTS.http2.maxConcurrentStreams,
      maxFrameSize: protocols.http2_max_frame_size ?? DEFAULTS.http2.maxFrameSize,
    },
  };
}
