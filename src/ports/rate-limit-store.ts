import type { RateLimitStoreSpec } from '../core/model';

/** How one rate limit counts, in the units the counting needs (no config parsing left). */
export interface RateLimitRule {
  readonly algorithm: 'token_bucket' | 'fixed_window' | 'sliding_window';
  /** Requests allowed per period (the refill rate of a token bucket). */
  readonly requests: number;
  readonly periodMs: number;
  /** Token bucket size; the windows ignore it. */
  readonly burst: number;
  /** Most keys tracked at once; the least recently used key is forgotten beyond it. */
  readonly maxKeys: number;
}

/** The decision on one request. */
export interface RateLimitVerdict {
  readonly allowed: boolean;
  /** Requests the key may still make now, after this one (0 when refused). */
  readonly remaining: number;
  /** Ms until the key's quota is whole again (token bucket full, window over). */
  readonly resetMs: number;
  /** Ms until a request of the key would be allowed; 0 when this one was. */
  readonly retryAfterMs: number;
}

/** The counters of one rate limit: one state per key (client address, header value, ...). */
export interface RateLimitCounter {
  /**
   * Counts a request of `key` at wall-clock `nowMs`, unless it is refused (refused requests
   * are not counted). A local store answers at once; a shared one may answer later, so callers
   * await only when they get a promise.
   */
  take(key: string, nowMs: number): RateLimitVerdict | Promise<RateLimitVerdict>;
  /** Keys tracked now (for tests and diagnostics). */
  readonly size: number;
}

/**
 * Where rate-limit state lives: in this process today, a shared store (e.g. Redis) for several
 * prox instances later. State is identified by an id the caller derives from the route and the
 * rule, so an unchanged rule keeps its counters across config reloads.
 */
export interface RateLimitStore {
  /** The counters for `id`, reused when they exist already. */
  counter(id: string, rule: RateLimitRule): RateLimitCounter;
  /** Forgets every counter whose id is not in `ids` (after a reload removed or changed its rule). */
  retainOnly(ids: ReadonlySet<string>): void;
}

export const RateLimitStore = Symbol.for('prox.RateLimitStore');

/** Why a shared store gave no answer: `skipped` when its breaker let the request not even try. */
export type RateLimitStoreFailureReason = 'timeout' | 'unavailable' | 'error' | 'skipped';

/** What a shared store reports for metrics. */
export interface RateLimitStoreObserver {
  /** One answer from the store, success or failure, after `seconds`. */
  rateLimitStoreCall(seconds: number): void;
  /** A request decided by `on_error` because the store gave no answer. */
  rateLimitStoreFailed(reason: RateLimitStoreFailureReason): void;
}

/** The store's state for /readyz: null while it answers. */
export interface RateLimitStoreHealth {
  readonly detail: string;
  /** True when its outage refuses traffic (`on_error: deny`): the instance should leave the load balancer. */
  readonly failsReadiness: boolean;
}

/** A store shared by several prox processes (Redis): it connects, can be down, and closes. */
export interface SharedRateLimitStore extends RateLimitStore {
  /** Resolves once connected, or once the first attempt failed (requests then follow `on_error`); never rejects. */
  connect(): Promise<void>;
  health(): RateLimitStoreHealth | null;
  close(): Promise<void>;
}

/**
 * Builds the shared store `rate_limit_store` describes; `local` is this process's own store,
 * for `on_error: local`.
 */
export type SharedRateLimitStoreFactory = (spec: RateLimitStoreSpec, local: RateLimitStore) => SharedRateLimitStore;
