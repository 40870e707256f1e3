import type { AcmeClientManager } from '../adapters/acme/acme-client-manager';
import type { RedisRateLimitStore } from '../adapters/redis/redis-rate-limit-store';

// These adapters pull in large packages (acme-client with its crypto stack costs about 0.6 s of CPU
// to load, ioredis about 0.2 s), so they are loaded the first time a config uses them: `prox
// validate`, the other tools and every config without ACME or a shared rate-limit store start
// without them.

export function acmeClientManagerClass(): typeof AcmeClientManager {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  return (require('../adapters/acme/acme-client-manager') as typeof import('../adapters/acme/acme-client-manager')).AcmeClientManager;
}

export function redisRateLimitStoreClass(): typeof RedisRateLimitStore {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  return (require('../adapters/redis/redis-rate-limit-store') as typeof import('../adapters/redis/redis-rate-limit-store')).RedisRateLimitStore;
}
