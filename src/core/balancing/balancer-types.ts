/** What every balancing strategy implements and reads; apart from the factory so strategies and factory do not import each other. */

export interface BalancedBackend {
  /** Backend URL; stable across config loads, so hash strategies map keys to the same backend. */
  readonly id: string;
  /** Share of traffic for weighted strategies; an integer >= 1. */
  readonly weight: number;
}

/** Live state of a route's backends, owned by the caller (health, breakers, panic mode already applied). */
export interface BackendLoadView {
  isAvailable(index: number): boolean;
  /** Requests in flight to that backend, open WebSocket sessions included. */
  inFlight(index: number): number;
}

/**
 * Chooses which of a route's backends serves the next request. State (cursors, smooth weights)
 * lives across requests. `pick` runs on the hot path and allocates nothing.
 */
export interface Balancer {
  /**
   * Index of the backend for the next request, or -1 when no backend is available.
   * `hashKey` is only read by hash strategies; null means the request has no key.
   */
  pick(view: BackendLoadView, hashKey: string | null): number;
}
