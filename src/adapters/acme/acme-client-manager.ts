import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import { namesOf } from '../../config/tls-certificates';
import type { AcmeSettings } from '../../core/model';
import { withFailure } from '../../core/tls/failed-order-limit';
import type { OrderReason, RenewalPlan, StoredCertificateFacts } from '../../core/tls/renewal-plan';
import { coversDomains, renewalTimeMs } from '../../core/tls/renewal-plan';
import { RenewalScheduler, type RenewalTarget } from '../../core/tls/renewal-scheduler';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import { NO_ACME_OBSERVER, type AcmeCertificateManager, type AcmeManagerHooks, type AcmeObserver, type AcmeSnapshot, type AcmeStatus, type PemPair } from '../../ports/managed-certificates';
import type { RandomSource } from '../../ports/random';
import { AcmeStorage, type CertificateState } from './acme-storage';

/** How soon a process that found the order lock taken looks again (a file check; the CA is not contacted). */
const LOCK_RETRY_MS = 10_000;
/** acme-client's wait before retrying a failed request grows by this much per attempt (1, 2, ... 5 s). */
const RETRY_DELAY_STEP_SECONDS = 1;

export interface AcmeManagerDeps {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly random: RandomSource;
  readonly observer?: AcmeObserver;
}

/**
 * `tls.acme` on acme-client: keeps the certificate of one name set in `storage_path`, serves it
 * from memory, orders it in the background (TLS-ALPN-01 answered by the TLS listener through
 * `alpnChallenge`, HTTP-01 by the plaintext listener through `httpChallenge`), and renews it as
 * the core's RenewalScheduler says. A failed order is logged with the CA's problem document,
 * counted for backoff (persisted) and changes nothing that serves.
 */
export class AcmeClientManager implements AcmeCertificateManager {
  private readonly storage: AcmeStorage;
  private pair: PemPair | null = null;
  private facts: StoredCertificateFacts | null = null;
  private state: CertificateState = { failures: { count: 0, lastFailureMs: 0, recentFailuresMs: [] }, lastError: null };
  private readonly alpnChallenges = new Map<string, PemPair>();
  private readonly httpChallenges = new Map<string, string>();
  private readonly listeners = new Set<() => void>();
  private scheduler: RenewalScheduler | null = null;
  private ordering = false;
  private loaded = false;
  private plan: RenewalPlan | null = null;
  /** Another process held the order lock: when to look again. */
  private lockRetryAtMs: number | null = null;
  /** Where in the jitter span this process renews, fixed for its life. */
  private readonly jitter: number;
  private readonly observer: AcmeObserver;

  constructor(
    private readonly settings: AcmeSettings,
    private readonly deps: AcmeManagerDeps,
    private readonly hooks: AcmeManagerHooks | null = null,
  ) {
    this.storage = new AcmeStorage(settings.storagePath, settings.directoryUrl, settings.domains);
    this.jitter = deps.random.nextInt(1_000_000) / 1_000_000;
    this.observer = deps.observer ?? NO_ACME_OBSERVER;
  }

  load(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.loadStored();
  }

  start(): void {
    if (this.scheduler !== null) return;
    this.load();
    const target: RenewalTarget = {
      current: () => this.facts,
      failures: () => (this.lockRetryAtMs === null ? this.state.failures : { ...this.state.failures, lockRetryAtMs: this.lockRetryAtMs }),
      order: (reason) => this.order(reason),
      planned: (plan) => {
        this.plan = plan;
        this.observer.renewalPlanned(this.settings.domains[0]!, plan.kind === 'wait' ? plan.renewAtMs : plan.atMs);
        this.publish();
      },
    };
    this.scheduler = new RenewalScheduler(this.deps.clock, target, {
      domains: this.settings.domains,
      renewalDaysBeforeExpiry: this.settings.renewalDaysBeforeExpiry,
      jitter: this.jitter,
    });
    const plan = this.scheduler.start();
    const domains = this.settings.domains;
    if (plan.kind === 'wait') {
      this.deps.logger.info('acme certificate loaded from storage', { domains, notAfter: iso(this.facts!.notAfterMs), renewAt: iso(plan.renewAtMs) });
    } else if (plan.atMs > this.deps.clock.nowMs()) {
      this.deps.logger.warn('acme order postponed after earlier failures', { domains, reason: plan.reason, at: iso(plan.atMs), failures: this.state.failures.count });
    }
  }

  stop(): void {
    this.scheduler?.stop();
    this.listeners.clear();
  }

  current(): PemPair | null {
    return this.pair;
  }

  alpnChallenge(servername: string): PemPair | null {
    return this.alpnChallenges.get(servername.toLowerCase()) ?? null;
  }

  httpChallenge(token: string): string | null {
    return this.httpChallenges.get(token) ?? null;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  status(): AcmeStatus {
    const plan = this.plan;
    return {
      domains: this.settings.domains,
      nextRenewalMs: plan === null ? null : plan.kind === 'wait' ? plan.renewAtMs : plan.atMs,
      lastError: this.state.lastError,
      ordering: this.ordering,
    };
  }

  snapshot(): AcmeSnapshot {
    return { certificate: this.pair, alpnChallenges: [...this.alpnChallenges], httpChallenges: [...this.httpChallenges], status: this.status() };
  }

  readinessProblem(): string | null {
    if (this.pair !== null) return null;
    const names = this.settings.domains.join(', ');
    if (this.state.lastError !== null && !this.ordering) return `no certificate for ${names} yet: the last ACME order failed: ${this.state.lastError}`;
    return `no certificate for ${names} yet: ACME order in progress`;
  }

  /** One order, start to finish; failures are recorded, never thrown. */
  private async order(reason: OrderReason): Promise<void> {
    const domains = this.settings.domains;
    const release = this.storage.tryLock();
    if (release === null) {
      // Not a failure: the other process orders these names; look again soon and take its certificate.
      this.lockRetryAtMs = this.deps.clock.nowMs() + LOCK_RETRY_MS;
      this.observer.orderFinished('locked');
      this.deps.logger.info('acme order waits: another prox process holds the order lock of this storage_path', { domains, reason, retryAt: iso(this.lockRetryAtMs) });
      return;
    }
    this.lockRetryAtMs = null;
    // Another process sharing the storage may have ordered while this one waited for the lock.
    if (this.adoptStoredByOtherProcess()) {
      release();
      return;
    }
    this.ordering = true;
    this.publish();
    this.deps.logger.info('acme order started', { domains, reason, challenge: this.settings.challenge, ca: this.settings.directoryUrl });
    try {
      const client = new acme.Client({
        directoryUrl: this.settings.directoryUrl,
        accountKey: await this.accountKey(),
        ...(this.settings.eab === null ? {} : { externalAccountBinding: { kid: this.settings.eab.kid, hmacKey: this.settings.eab.hmacKey } }),
      });
      const [key, csr] = await acme.crypto.createCsr({ commonName: domains[0], altNames: [...domains] }, await acme.crypto.createPrivateEcdsaKey('P-256'));
      const cert = await client.auto({
        csr,
        email: this.settings.email,
        termsOfServiceAgreed: true,
        challengePriority: [this.settings.challenge],
        // acme-client's own pre-check resolves the names itself; the CA's validation is the one that counts.
        skipChallengeVerification: true,
        challengeCreateFn: async (authz, challenge, keyAuthorization) => {
          if ((challenge.type as string) === 'tls-alpn-01') {
            // The key type of the certificate already served (ECDSA P-256): OpenSSL settles on the
            // certificate type before the SNI callback swaps in the challenge context, so an RSA
            // challenge certificate (acme-client's default) would lose to the served one at renewal.
            const challengeKeyPem = await acme.crypto.createPrivateEcdsaKey('P-256');
            const [challengeKey, challengeCert] = await acme.crypto.createAlpnCertificate(authz, keyAuthorization, challengeKeyPem);
            this.alpnChallenges.set(authz.identifier.value.toLowerCase(), { cert: challengeCert.toString(), key: challengeKey.toString() });
          } else if (challenge.type === 'http-01') {
            this.httpChallenges.set(challenge.token, keyAuthorization);
          }
          // Every process that may answer the CA must have the challenge before it validates.
          await this.hooks?.stateChanged();
        },
        challengeRemoveFn: async (authz, challenge) => {
          if ((challenge.type as string) === 'tls-alpn-01') this.alpnChallenges.delete(authz.identifier.value.toLowerCase());
          else if (challenge.type === 'http-01') this.httpChallenges.delete(challenge.token);
          this.publish();
        },
      });
      const pair = { cert, key: key.toString() };
      const facts = factsOf(pair);
      this.storage.writeCertificate(pair);
      // The failed-order history outlives a success: the CA counts failures per hour, not in a row.
      this.state = { failures: { count: 0, lastFailureMs: 0, recentFailuresMs: this.state.failures.recentFailuresMs ?? [] }, lastError: null };
      this.storage.writeState(this.state);
      this.use(pair, facts);
      this.observer.orderFinished('success');
      this.deps.logger.info('acme certificate issued', { domains, reason, notAfter: iso(facts.notAfterMs) });
    } catch (error) {
      this.fail(error, reason);
    } finally {
      this.ordering = false;
      release();
    }
  }

  /** The stored certificate, when another process put a good one there (covers the names, not due). */
  private adoptStoredByOtherProcess(): boolean {
    let stored: PemPair | null;
    try {
      stored = this.storage.readCertificate();
    } catch {
      return false;
    }
    if (stored === null || (this.pair !== null && stored.cert === this.pair.cert)) return false;
    let facts: StoredCertificateFacts;
    try {
      facts = factsOf(stored);
    } catch {
      return false;
    }
    const now = this.deps.clock.nowMs();
    if (!coversDomains(facts.names, this.settings.domains) || now >= renewalTimeMs(facts, this.settings.renewalDaysBeforeExpiry, this.jitter)) return false;
    this.state = this.storage.readState();
    this.use(stored, facts);
    this.deps.logger.info('acme certificate loaded from storage', { domains: this.settings.domains, notAfter: iso(facts.notAfterMs), orderedBy: 'another process' });
    return true;
  }

  /** The CA refused or could not be reached: counted for the backoff and the hourly limit. */
  private fail(error: unknown, reason: OrderReason): void {
    const now = this.deps.clock.nowMs();
    const failures = { count: this.state.failures.count + 1, lastFailureMs: now, recentFailuresMs: withFailure(this.state.failures.recentFailuresMs ?? [], now) };
    this.observer.orderFinished('failure');
    this.state = { failures, lastError: describe(error) };
    try {
      this.storage.writeState(this.state);
    } catch (writeError) {
      this.deps.logger.error('acme state not saved', { error: describe(writeError) });
    }
    this.deps.logger.error('acme order failed; the certificate in use (if any) keeps serving', {
      domains: this.settings.domains,
      reason,
      failures: failures.count,
      error: this.state.lastError,
      problem: problemOf(error),
    });
    this.publish();
  }

  private use(pair: PemPair, facts: StoredCertificateFacts): void {
    this.pair = pair;
    this.facts = facts;
    for (const listener of [...this.listeners]) listener();
    this.publish();
  }

  /** Tells the processes serving this manager's state (workers) about a change; no waiting. */
  private publish(): void {
    if (this.hooks === null) return;
    this.hooks.stateChanged().catch((error: unknown) => this.deps.logger.warn('acme state not handed to every worker', { error: describe(error) }));
  }

  /** Stored certificate and state; a corrupt file is reported and re-ordered, never fatal. */
  private loadStored(): void {
    this.state = this.storage.readState();
    let stored: PemPair | null = null;
    try {
      stored = this.storage.readCertificate();
    } catch (error) {
      this.deps.logger.error('acme storage unreadable; ordering a new certificate', { error: describe(error) });
    }
    if (stored === null) return;
    try {
      const facts = factsOf(stored);
      // Expired or for other names: not served; the plan orders a new one.
      this.facts = facts;
      if (facts.notAfterMs > this.deps.clock.nowMs() && coversDomains(facts.names, this.settings.domains)) this.pair = stored;
    } catch (error) {
      this.deps.logger.error('stored acme certificate is corrupt; ordering a new one', { dir: this.storage.certificateDir, error: describe(error) });
    }
  }

  private async accountKey(): Promise<Buffer> {
    // acme-client retries a failed request 5 times, waiting 5 s more each time (75 s in all);
    // prox has its own backoff between orders, so a few quick retries for a blip are enough
    // (a CA's Retry-After is still honoured).
    (acme.axios.defaults as { acmeSettings?: { retryDefaultDelay: number } }).acmeSettings!.retryDefaultDelay = RETRY_DELAY_STEP_SECONDS;
    if (this.settings.caRootPath !== null) {
      // acme-client talks through one axios instance; a private CA's root applies to it.
      acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(this.settings.caRootPath) });
    }
    const stored = this.storage.readAccountKey();
    if (stored !== null) return stored;
    const key = await acme.crypto.createPrivateEcdsaKey('P-256');
    this.storage.writeAccountKey(key);
    return key;
  }
}

function factsOf(pair: PemPair): StoredCertificateFacts {
  const leaf = new X509Certificate(pair.cert);
  return { names: namesOf(leaf), notBeforeMs: Date.parse(leaf.validFrom), notAfterMs: Date.parse(leaf.validTo) };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** acme-client puts the CA's problem document (RFC 7807) on the error when there is one. */
function problemOf(error: unknown): unknown {
  const candidate = error as { response?: { data?: unknown }; type?: unknown; detail?: unknown };
  if (candidate?.response?.data !== undefined) return candidate.response.data;
  return null;
}
