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

/** Where the certificate of `tls.acme` stands, for readiness and the admin `/certificates` view. */
export interface AcmeStatus {
  /** The configured names, lower-case. */
  readonly domains: readonly string[];
  /** When the next order is planned (renewal, or a retry after failures); null before planning. */
  readonly nextRenewalMs: number | null;
  /** The last failed order's error, or null (cleared by a success). */
  readonly lastError: string | null;
  readonly ordering: boolean;
}

/**
 * Everything a process serving for the manager needs (a worker of `workers: N`): the
 * certificate, the challenges being validated and the status. Plain data, sent over IPC.
 */
export interface AcmeSnapshot {
  readonly certificate: PemPair | null;
  /** TLS-ALPN-01: [name, challenge certificate]. */
  readonly alpnChallenges: readonly (readonly [string, PemPair])[];
  /** HTTP-01: [token, key authorization]. */
  readonly httpChallenges: readonly (readonly [string, string])[];
  readonly status: AcmeStatus;
}

/** What the manager reports to metrics. */
export interface AcmeObserver {
  /** One order ended: `success`, `failure` (the CA refused or was unreachable), `locked` (another process orders). */
  orderFinished(result: 'success' | 'failure' | 'locked'): void;
  /** The next planned order (renewal or retry), epoch ms. */
  renewalPlanned(domain: string, atMs: number): void;
}

export const NO_ACME_OBSERVER: AcmeObserver = {
  orderFinished: () => undefined,
  renewalPlanned: () => undefined,
};

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
  status(): AcmeStatus;
  snapshot(): AcmeSnapshot;
}

/** Optional hooks of a manager whose state other processes serve (the supervisor of `workers: N`). */
export interface AcmeManagerHooks {
  /**
   * The snapshot changed (certificate, challenges, status). Awaited before the CA is told to
   * validate a challenge: it resolves once every serving process has it.
   */
  stateChanged(): Promise<void>;
}

/** Builds the manager for one `tls.acme` block. */
export type AcmeManagerFactory = (settings: AcmeSettings, hooks?: AcmeManagerHooks) => AcmeCertificateManager;
export const AcmeManagerFactory = Symbol.for('prox.AcmeManagerFactory');
