import type { Clock } from '../../ports/clock';
import type { JsonWebKeySet, KeySetFetcher } from '../../ports/json-web-tokens';

/** Longest wait for the identity provider's key set. */
const FETCH_TIMEOUT_MS = 5_000;

export interface KeySetCacheSettings {
  readonly url: string;
  /** Keys older than this are fetched again in the background while still in use. */
  readonly maxAgeMs: number;
  /** At most one fetch per this interval, whatever asks (unknown kids, age, failures). */
  readonly minIntervalMs: number;
}

/**
 * One route's JWKS: fetched on first use, refetched when old (in the background) or when a
 * token names a key it lacks (awaited), never more often than `minIntervalMs`, so tokens with
 * made-up kids cannot make prox hammer the identity provider. A failed fetch keeps the keys it
 * had; concurrent askers share one fetch.
 */
export class KeySetCache {
  private keySet: JsonWebKeySet | null = null;
  private fetchedAtMs = 0;
  private lastAttemptMs: number | null = null;
  private inFlight: Promise<void> | null = null;
  private lastFailure: string | null = null;

  constructor(
    private readonly settings: KeySetCacheSettings,
    private readonly fetcher: KeySetFetcher,
    private readonly clock: Clock,
  ) {}

  /** The keys to check a token with; null when none could be fetched yet. */
  async current(): Promise<JsonWebKeySet | null> {
    if (this.keySet === null) {
      await this.fetchIfAllowed();
      return this.keySet;
    }
    if (this.clock.monotonicMs() - this.fetchedAtMs >= this.settings.maxAgeMs) void this.fetchIfAllowed();
    return this.keySet;
  }

  /** A token named a key the set lacks: a fresh set when a fetch was allowed and brought one, else null. */
  async refreshed(stale: JsonWebKeySet): Promise<JsonWebKeySet | null> {
    await this.fetchIfAllowed();
    return this.keySet !== stale ? this.keySet : null;
  }

  /** Why the last fetch failed (for the operator's log); null after a success. */
  get failure(): string | null {
    return this.lastFailure;
  }

  private fetchIfAllowed(): Promise<void> {
    if (this.inFlight !== null) return this.inFlight;
    const now = this.clock.monotonicMs();
    if (this.lastAttemptMs !== null && now - this.lastAttemptMs < this.settings.minIntervalMs) return Promise.resolve();
    this.lastAttemptMs = now;
    this.inFlight = this.fetcher.fetch(this.settings.url, FETCH_TIMEOUT_MS).then((result) => {
      this.inFlight = null;
      if (result.kind === 'failed') {
        this.lastFailure = result.detail;
        return;
      }
      this.keySet = result.keySet;
      this.fetchedAtMs = this.clock.monotonicMs();
      this.lastFailure = null;
    });
    return this.inFlight;
  }
}
