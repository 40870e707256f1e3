import { BackendRegistry } from '../../core/backends/backend-registry';
import { CompiledConfig, compileConfig } from '../../core/compiled-route';
import type { ProxConfig } from '../../config/model';
import type { Clock, Timer } from '../../ports/clock';
import type { RateLimitCounter, RateLimitStore } from '../../ports/rate-limit-store';

/** Builds the trust test for `trusted_proxies`; composition passes the one the server uses. */
export type TrustPredicateFactory = (trustedProxies: readonly string[]) => (address: string) => boolean;

/** A clock stopped at one instant: the offline tools start no timers and read one time. */
export function frozenClock(nowMs: number): Clock {
  const inertTimer: Timer = { cancel: () => undefined };
  return { nowMs: () => nowMs, monotonicMs: () => 0, setTimer: () => inertTimer };
}

/** Counts nothing: the offline tools report which counter a request would use, not its state. */
const NO_COUNTING: RateLimitStore = {
  counter(): RateLimitCounter {
    return { size: 0, take: (_key, nowMs) => ({ allowed: true, remaining: 0, resetMs: nowMs, retryAfterMs: 0 }) };
  },
  retainOnly: () => undefined,
};

/**
 * The config compiled exactly as ProxServer compiles it (compileConfig: the same route table,
 * pools, balancers, rules and error pages), with nothing started: no health probe is sent, so
 * every backend counts as healthy, as it does before a server's first probe result.
 */
export function compileOffline(config: ProxConfig, trustPredicate: TrustPredicateFactory, clock: Clock): CompiledConfig {
  const registry = new BackendRegistry({
    probe: { probe: () => Promise.resolve({ kind: 'failed', detail: 'offline: no probes are sent' }) },
    clock,
    // The first choice of every random strategy: deterministic, so the same input explains the same way.
    random: { nextInt: () => 0 },
    events: { healthChanged: () => undefined, ejected: () => undefined, breakerChanged: () => undefined },
  });
  return compileConfig(config, {
    isTrustedPeer: trustPredicate(config.trustedProxies),
    backends: registry.beginGeneration(),
    events: { healthChanged: () => undefined, ejected: () => undefined, breakerChanged: () => undefined },
    rateLimits: NO_COUNTING,
    addressSet: trustPredicate,
    // explain never has a password to check: basic auth is described, not evaluated.
    passwords: { verify: () => Promise.resolve(false) },
    authService: { check: () => Promise.resolve({ kind: 'failed', detail: 'offline: no auth service is asked' }) },
    jwt: {
      keySets: { fetch: () => Promise.resolve({ kind: 'failed', detail: 'offline: no key set is fetched' }) },
      tokens: { verify: () => Promise.resolve({ kind: 'invalid', reason: 'offline: no token is checked' }) },
      clock,
    },
  });
}
