import type { Clock, Timer } from '../../ports/clock';
import { planRenewal, type FailureHistory, type OrderReason, type RenewalPlan, type StoredCertificateFacts } from './renewal-plan';

/** What the scheduler drives: the certificate store and the CA (the ACME adapter). */
export interface RenewalTarget {
  /** The certificate in use (stored or just issued), or null. */
  current(): StoredCertificateFacts | null;
  /** Failed orders in a row, as persisted. */
  failures(): FailureHistory;
  /** Orders now; resolves once done either way (the target records failures and keeps serving). */
  order(reason: OrderReason): Promise<void>;
  /** Told every new plan (metrics, status views). */
  planned?(plan: RenewalPlan): void;
}

export interface RenewalSettings {
  readonly domains: readonly string[];
  readonly renewalDaysBeforeExpiry: number;
  /** In [0, 1), fixed for this process. */
  readonly jitter: number;
}

/**
 * Keeps one Clock timer set for the next thing `planRenewal` asks for: a check, or an order.
 * After each order (success or failure) it plans again, so backoff and renewal follow from the
 * target's state alone. Never two orders at once.
 */
export class RenewalScheduler {
  private timer: Timer | null = null;
  private stopped = false;
  private ordering = false;
  private lastPlan: RenewalPlan | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly target: RenewalTarget,
    private readonly settings: RenewalSettings,
  ) {}

  /** The plan in force (for logs and readiness), or null before start. */
  get plan(): RenewalPlan | null {
    return this.lastPlan;
  }

  /** Plans at once: an order that is due now starts right away. */
  start(): RenewalPlan {
    return this.schedule();
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = null;
  }

  private schedule(): RenewalPlan {
    this.timer?.cancel();
    const nowMs = this.clock.nowMs();
    const plan = planRenewal({
      nowMs,
      domains: this.settings.domains,
      certificate: this.target.current(),
      renewalDaysBeforeExpiry: this.settings.renewalDaysBeforeExpiry,
      jitter: this.settings.jitter,
      failures: this.target.failures(),
    });
    this.lastPlan = plan;
    if (this.stopped) return plan;
    this.target.planned?.(plan);
    const at = plan.kind === 'wait' ? plan.checkAtMs : plan.atMs;
    const fire = plan.kind === 'wait' ? () => this.schedule() : () => void this.runOrder(plan.reason);
    if (plan.kind === 'order' && at <= nowMs) fire();
    else this.timer = this.clock.setTimer(at - nowMs, fire);
    return plan;
  }

  private async runOrder(reason: OrderReason): Promise<void> {
    if (this.ordering || this.stopped) return;
    this.ordering = true;
    this.timer = null;
    try {
      await this.target.order(reason);
    } finally {
      this.ordering = false;
    }
    if (!this.stopped) this.schedule();
  }
}
