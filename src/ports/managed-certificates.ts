import type { AcmeSettings } from '../core/model';

/** A certificate chain (leaf first) and its private key, PEM. */
export interface PemPair {
  readonly cert: string;
  readonly key: string;
}

/**
 * Certificates a TLS listener takes from memory instead of files: the ACME manager's. The
 * listener serves `current()` for every name (and clients without SNI), answers `acme-tls/1`
 * handshakes with `alpnChallenge`, and swaps on `onChange` (new handshakes only).
 */
export interface ManagedCertificateSource {
  /** The certificate in use; null until one is issued (handshakes then fail cleanly). */
  current(): PemPair | null;
  /** TLS-ALPN-01 (RFC 8737): the challenge certificate for `servername` while the CA validates it, or null. */
  alpnChallenge(servername: string): PemPair | null;
  /** `listener` runs whenever `current()` changed; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Obtains and renews the certificate of `tls.acme`; runs in the background, never throws at its caller. */
export interface AcmeCertificateManager extends ManagedCertificateSource {
  /** Reads the stored certificate (no network): a good one is `current()` from now on. Before listening. */
  load(): void;
  /**
   * Plans (after listening, so the challenges can be answered): a good certificate is renewed on
   * time; otherwise an order runs in the background.
   */
  start(): void;
  stop(): void;
  /** HTTP-01: the key authorization for a token the CA is about to fetch, or null. */
  httpChallenge(token: string): string | null;
  /** Why the listener cannot serve the names yet (no certificate: ordering, or the last error), or null. */
  readinessProblem(): string | null;
}

/** Builds the manager for one `tls.acme` block. */
export type AcmeManagerFactory = (settings: AcmeSettings) => AcmeCertificateManager;
export const AcmeManagerFactory = Symbol.for('prox.AcmeManagerFactory');
