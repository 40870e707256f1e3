import type { AcmeCertificateManager, AcmeSnapshot, AcmeStatus, PemPair } from '../../ports/managed-certificates';
import type { SupervisorChannel } from './worker';

/**
 * A worker's side of `tls.acme` under `workers: N`: the supervisor is the one process talking to
 * the CA; this serves what it hands over (certificate, pending challenges, status) and
 * acknowledges each hand-over, so the supervisor tells the CA to validate only once every worker
 * can answer. Never orders anything itself.
 */
export class WorkerCertificates implements AcmeCertificateManager {
  private state: AcmeSnapshot | null = null;
  private alpn = new Map<string, PemPair>();
  private http = new Map<string, string>();
  private readonly listeners = new Set<() => void>();

  /** Subscribes at once: create it before the worker awaits anything, so the first hand-over (sent at fork) is not missed. */
  constructor(private readonly channel: SupervisorChannel) {
    channel.onMessage((message) => {
      if (message.type !== 'acme') return;
      this.receive(message.snapshot);
      channel.send({ type: 'acme', id: message.id });
    });
  }

  receive(snapshot: AcmeSnapshot): void {
    const changed = snapshot.certificate?.cert !== this.state?.certificate?.cert;
    this.state = snapshot;
    this.alpn = new Map(snapshot.alpnChallenges);
    this.http = new Map(snapshot.httpChallenges);
    if (changed) for (const listener of [...this.listeners]) listener();
  }

  load(): void {}

  start(): void {}

  stop(): void {
    this.listeners.clear();
  }

  current(): PemPair | null {
    return this.state?.certificate ?? null;
  }

  alpnChallenge(servername: string): PemPair | null {
    return this.alpn.get(servername.toLowerCase()) ?? null;
  }

  httpChallenge(token: string): string | null {
    return this.http.get(token) ?? null;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readinessProblem(): string | null {
    if (this.current() !== null) return null;
    if (this.state === null) return 'no certificate yet: waiting for the supervisor (tls.acme)';
    const { domains, lastError, ordering } = this.state.status;
    const names = domains.join(', ');
    if (lastError !== null && !ordering) return `no certificate for ${names} yet: the last ACME order failed: ${lastError}`;
    return `no certificate for ${names} yet: ACME order in progress`;
  }

  status(): AcmeStatus {
    return this.state?.status ?? { domains: [], nextRenewalMs: null, lastError: null, ordering: false };
  }

  snapshot(): AcmeSnapshot {
    return this.state ?? { certificate: null, alpnChallenges: [], httpChallenges: [], status: this.status() };
  }
}
