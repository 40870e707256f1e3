import type { ReloadOutcome } from './reload-outcome';
import { shuttingDown } from './reload-outcome';

/**
 * Runs reloads one at a time. A request that arrives while one runs (or while held) is folded
 * into a single follow-up carrying the newest trigger, so a burst of changes ends with the
 * newest config applied, never an older one. Everyone folded into a follow-up gets its outcome.
 */
export class ReloadQueue {
  private running: boolean;
  private closed = false;
  private pending: { trigger: string; readonly outcome: Promise<ReloadOutcome>; readonly settle: (outcome: ReloadOutcome) => void } | null = null;

  constructor(
    /** Must not reject: failures are outcomes. */
    private readonly reload: (trigger: string) => Promise<ReloadOutcome>,
    /** Held requests wait (as one pending follow-up) until `release`. */
    held: boolean,
  ) {
    this.running = held;
  }

  /** Ends the hold: a request that came meanwhile runs now. */
  release(): void {
    this.running = false;
    this.runPending();
  }

  request(trigger: string): Promise<ReloadOutcome> {
    if (this.closed) return Promise.resolve(shuttingDown());
    if (this.running) {
      if (this.pending === null) {
        let settle!: (outcome: ReloadOutcome) => void;
        const outcome = new Promise<ReloadOutcome>((resolve) => (settle = resolve));
        this.pending = { trigger, outcome, settle };
      }
      this.pending.trigger = trigger;
      return this.pending.outcome;
    }
    this.running = true;
    const outcome = this.reload(trigger);
    void outcome.finally(() => {
      this.running = false;
      this.runPending();
    });
    return outcome;
  }

  /** No more reloads (when stopping): a waiting follow-up and later requests answer "shutting down". */
  close(): void {
    this.closed = true;
    const pending = this.pending;
    this.pending = null;
    pending?.settle(shuttingDown());
  }

  private runPending(): void {
    const next = this.pending;
    this.pending = null;
    if (next !== null) void this.request(next.trigger).then(next.settle);
  }
}
