import type { BalanceStrategy } from '../model';
import type { RandomSource } from '../../ports/random';
import type { BalancedBackend, Balancer } from './balancer-types';
import { HashBalancer } from './strategies/hash';
import { LeastConnectionsBalancer } from './strategies/least-connections';
import { NoBackendBalancer } from './strategies/no-backend';
import { PowerOfTwoBalancer } from './strategies/power-of-two';
import { RandomBalancer } from './strategies/random';
import { RoundRobinBalancer } from './strategies/round-robin';
import { WeightedRoundRobinBalancer } from './strategies/weighted-round-robin';

export type { BackendLoadView, BalancedBackend, Balancer } from './balancer-types';

/**
 * Builds the balancer for one route. Everything a pick needs (weights, the hash ring) is
 * precomputed here. Throws a RangeError when a weight is not an integer >= 1.
 */
export function createBalancer(
  strategy: BalanceStrategy,
  backends: readonly BalancedBackend[],
  random: RandomSource,
): Balancer {
  for (const backend of backends) {
    if (!Number.isSafeInteger(backend.weight) || backend.weight < 1) {
      throw new RangeError(`backend ${backend.id}: weight must be an integer >= 1, got ${backend.weight}`);
    }
  }
  if (backends.length === 0) return new NoBackendBalancer();
  switch (strategy) {
    case 'round_robin':
      return new RoundRobinBalancer(backends.length);
    case 'weighted_round_robin':
      return new WeightedRoundRobinBalancer(backends);
    case 'least_connections':
      return new LeastConnectionsBalancer(backends.length);
    case 'random':
      return new RandomBalancer(backends, random);
    case 'power_of_two':
      return new PowerOfTwoBalancer(backends.length, random);
    case 'ip_hash':
    case 'consistent_hash':
      return new HashBalancer(backends, random);
    default: {
      const unknown: never = strategy;
      throw new Error(`unknown balance strategy ${String(unknown)}`);
    }
  }
}
