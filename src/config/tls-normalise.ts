import * as path from 'node:path';
import { DEFAULTS } from './defaults';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import type { AcmeSettings, CertificateFiles, TlsConfig } from './model';
import type { RawAcme, RawConfig } from './raw-config';

/**
 * `tls` + `protocols` → TlsConfig. A `tls` block with certificate files, or with an enabled
 * `acme`, terminates TLS; one with only a disabled `acme` leaves the listener plaintext.
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
  let httpListenAddr = null;
  if (tls.http_listen_addr !== undefined) {
    const parsed = parseListenAddress(tls.http_listen_addr);
    if (isListenAddressProblem(parsed)) throw new Error(`unvalidated tls.http_listen_addr reached normalise: ${parsed.message}`);
    httpListenAddr = parsed;
  }
  const acme = tls.acme !== undefined && tls.acme.enabled === true ? normaliseAcme(tls.acme, httpListenAddr !== null, configDir) : null;
  if (defaultCertificate === null && sniCertificates.length === 0 && acme === null) return null;
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
    acme,
  };
}

export const LETS_ENCRYPT_PRODUCTION = 'https://acme-v02.api.letsencrypt.org/directory';
export const LETS_ENCRYPT_STAGING = 'https://acme-staging-v02.api.letsencrypt.org/directory';

function normaliseAcme(acme: RawAcme, hasPlaintextListener: boolean, configDir: string): AcmeSettings {
  const challenge = acme.challenge ?? DEFAULTS.acme.challenge;
  return {
    domains: (acme.domains ?? []).map((name) => name.toLowerCase()),
    email: acme.email ?? '',
    directoryUrl: acme.ca_url ?? (acme.staging === true ? LETS_ENCRYPT_STAGING : LETS_ENCRYPT_PRODUCTION),
    storagePath: path.resolve(configDir, acme.storage_path ?? DEFAULTS.acme.storagePath),
    renewalDaysBeforeExpiry: acme.renewal_days_before_expiry ?? DEFAULTS.acme.renewalDaysBeforeExpiry,
    challenge: challenge === 'auto' ? (hasPlaintextListener ? 'http-01' : 'tls-alpn-01') : challenge,
    caRootPath: acme.ca_root_path === undefined ? null : path.resolve(configDir, acme.ca_root_path),
    eab: acme.eab === undefined ? null : { kid: acme.eab.kid, hmacKey: acme.eab.hmac_key },
  };
}
