/**
 * Runs reloads one at a time. A request that arrives while one runs (or while held) is folded
 * into a single follow-up carrying the newest trigger, so a burst of changes ends with the
 * newest file applied, never an older one.
 */
export class SerializedReloads {
  private running: boolean;
  private pending: string | null = null;

  constructor(
    private readonly reload: (trigger: string) => Promise<void>,
    /** Held reloads wait (as one pending request) until `release`. */
    held: boolean,
  ) {
    this.running = held;
  }

  /** Ends the hold: a request that came meanwhile runs now. */
  release(): void {
    this.running = false;
    this.runPending();
  }

  request(trigger: string): void {
    if (this.running) {
      this.pending = trigger;
      return;
    }
    this.running = true;
    void this.reload(trigger).finally(() => {
      this.running = false;
      this.runPending();
    });
  }

  /** Forgets a waiting follow-up (when stopping). */
  dropPending(): void {
    this.pending = null;
  }

  private runPending(): void {
    const next = this.pending;
    this.pending = null;
    if (next !== null) this.request(next);
  }
}
