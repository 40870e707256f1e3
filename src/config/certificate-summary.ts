import { isCertificateProblem, loadCertificatePair } from './tls-certificates';
import type { CertificateFiles, ProxConfig } from './model';

/** A certificate that expires sooner than this (or has expired) is a warning. */
export const CERTIFICATE_EXPIRY_WARNING_DAYS = 14;

const DAY_MS = 86_400_000;

/** One certificate of the TLS listener, for `prox validate`'s summary. */
export interface CertificateSummary {
  readonly certPath: string;
  /** DNS names it covers (its CN when it has none). */
  readonly names: readonly string[];
  /** Expiry, ISO 8601. */
  readonly notAfter: string;
  /** Whole days left, negative once expired. */
  readonly daysLeft: number;
}

/** The default certificate, then the SNI ones, as read from disk now; unreadable ones are left out. */
export function certificateSummary(config: ProxConfig, nowMs: number = Date.now()): CertificateSummary[] {
  const tls = config.tls;
  if (!tls) return [];
  const files: CertificateFiles[] = [...(tls.defaultCertificate ? [tls.defaultCertificate] : []), ...tls.sniCertificates];
  const out: CertificateSummary[] = [];
  for (const pair of files) {
    const loaded = loadCertificatePair(pair);
    if (isCertificateProblem(loaded)) continue;
    out.push({ certPath: pair.certPath, names: loaded.names, notAfter: new Date(loaded.notAfterMs).toISOString(), daysLeft: Math.floor((loaded.notAfterMs - nowMs) / DAY_MS) });
  }
  return out;
}

/** Text lines for the summary, e.g. `  certificate /etc/prox/a.pem: a.test, *.a.test (expires 2026-05-01T00:00:00.000Z, in 40 days)`. */
export function certificateSummaryLines(certificates: readonly CertificateSummary[]): string[] {
  return certificates.map((cert) => {
    const names = cert.names.length > 0 ? cert.names.join(', ') : '(no DNS name)';
    const left = cert.daysLeft < 0 ? 'EXPIRED' : `in ${cert.daysLeft} day${cert.daysLeft === 1 ? '' : 's'}`;
    return `  certificate ${cert.certPath}: ${names} (expires ${cert.notAfter}, ${left})`;
  });
}

/** The expiry warning for a certificate, or null when it has more than the warning period left. */
export function expiryProblem(notAfterMs: number, nowMs: number = Date.now()): string | null {
  const date = new Date(notAfterMs).toISOString();
  if (notAfterMs <= nowMs) return `certificate expired on ${date}`;
  const days = Math.floor((notAfterMs - nowMs) / DAY_MS);
  if (days >= CERTIFICATE_EXPIRY_WARNING_DAYS) return null;
  return `certificate expires on ${date}, in ${days} day${days === 1 ? '' : 's'} (under ${CERTIFICATE_EXPIRY_WARNING_DAYS})`;
}
