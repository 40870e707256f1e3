import { Redis } from 'ioredis';
import { MemoryRateLimitStore } from '../../src/adapters/memory/memory-rate-limit-store';
import { RedisRateLimitStore } from '../../src/adapters/redis/redis-rate-limit-store';
import type { RateLimitStoreSpec } from '../../src/core/model';
import type { RateLimitRule, RateLimitStoreFailureReason, RateLimitStoreObserver, RateLimitVerdict } from '../../src/ports/rate-limit-store';
import { FakeClock } from '../core/support/fake-clock';
import { RecordingLogger } from '../core/support/fakes';
import { SeededRandom } from '../core/support/seeded-random';
import { freeLoopbackPort } from '../support/ports';
import { RedisServer } from '../support/redis-server';

/** Observer that keeps what the store reported. */
class RecordingObserver implements RateLimitStoreObserver {
  calls = 0;
  readonly failures: RateLimitStoreFailureReason[] = [];
  rateLimitStoreCall(): void {
    this.calls++;
  }
  rateLimitStoreFailed(reason: RateLimitStoreFailureReason): void {
    this.failures.push(reason);
  }
}

function spec(url: string, overrides: Partial<RateLimitStoreSpec> = {}): RateLimitStoreSpec {
  return { type: 'redis', url, keyPrefix: 'test:rl:', timeoutMs: 500, onError: 'allow', ...overrides };
}

const RULES: readonly RateLimitRule[] = [
  { algorithm: 'token_bucket', requests: 3, periodMs: 1000, burst: 3, maxKeys: 1000 },
  { algorithm: 'token_bucket', requests: 7, periodMs: 60_000, burst: 2, maxKeys: 1000 },
  { algorithm: 'token_bucket', requests: 1, periodMs: 1000, burst: 5, maxKeys: 1000 },
  { algorithm: 'fixed_window', requests: 3, periodMs: 1000, burst: 3, maxKeys: 1000 },
  { algorithm: 'fixed_window', requests: 4, periodMs: 10_000, burst: 4, maxKeys: 1000 },
  { algorithm: 'sliding_window', requests: 3, periodMs: 1000, burst: 3, maxKeys: 1000 },
  { algorithm: 'sliding_window', requests: 7, periodMs: 7000, burst: 7, maxKeys: 1000 },
  { algorithm: 'sliding_window', requests: 1, periodMs: 2000, burst: 1, maxKeys: 1000 },
];

/** Steps between requests: bursts at one instant, fractions of an interval, whole periods and long pauses. */
function nextStepMs(random: SeededRandom, rule: RateLimitRule): number {
  const roll = random.nextFloat();
  if (roll < 0.3) return 0;
  if (roll < 0.7) return random.nextInt(Math.ceil(rule.periodMs / rule.requests));
  if (roll < 0.95) return random.nextInt(rule.periodMs * 2);
  return rule.periodMs * (2 + random.nextInt(3));
}

describe('RedisRateLimitStore against a real redis-server', () => {
  let redis: RedisServer;
  const stores: RedisRateLimitStore[] = [];

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterEach(async () => {
    await Promise.all(stores.splice(0).map((store) => store.close()));
  });

  afterAll(async () => {
    await redis.stop();
  });

  async function openStore(overrides: Partial<RateLimitStoreSpec> = {}, clock = new FakeClock(), observer = new RecordingObserver()) {
    const store = new RedisRateLimitStore(spec(redis.url, overrides), {
      clock,
      logger: new RecordingLogger(),
      observer,
      local: new MemoryRateLimitStore(),
      callerClock: true,
    });
    stores.push(store);
    await store.connect();
    return { store, clock, observer };
  }

  it.each(RULES.map((rule) => [`${rule.algorithm} ${rule.requests}/${rule.periodMs}ms burst ${rule.burst}`, rule] as const))(
    'answers exactly what the in-process store answers: %s',
    async (_name, rule) => {
      const { store } = await openStore({ keyPrefix: `equivalence:${Math.random()}:` });
      const memory = new MemoryRateLimitStore();
      const shared = store.counter('route\nrule', rule);
      const local = memory.counter('route\nrule', rule);
      const random = new SeededRandom(rule.requests * 7919 + rule.periodMs);
      const keys = ['10.0.0.1', '10.0.0.2', 'a{b}c'];
      let now = 1_765_000_000_123;
      const fromRedis: RateLimitVerdict[] = [];
      const fromMemory: RateLimitVerdict[] = [];
      for (let i = 0; i < 400; i++) {
        now += nextStepMs(random, rule);
        const key = keys[random.nextInt(keys.length)];
        fromMemory.push(local.take(key, now) as RateLimitVerdict);
        fromRedis.push(await shared.take(key, now));
      }
      expect(fromRedis).toEqual(fromMemory);
      // The sequence exercised both answers.
      expect(fromMemory.some((verdict) => verdict.allowed)).toBe(true);
      expect(fromMemory.some((verdict) => !verdict.allowed)).toBe(true);
    },
  );

  it('writes keys with the client key as the Redis Cluster hash tag, expiring when the quota is whole again', async () => {
    const rule: RateLimitRule = { algorithm: 'token_bucket', requests: 10, periodMs: 60_000, burst: 10, maxKeys: 1000 };
    // As in production: Redis TIME is the clock, the caller's instant (0 here) is ignored.
    const production = new RedisRateLimitStore(spec(redis.url, { keyPrefix: 'ttl:' }), {
      clock: new FakeClock(),
      logger: new RecordingLogger(),
      observer: new RecordingObserver(),
      local: new MemoryRateLimitStore(),
    });
    stores.push(production);
    await production.connect();
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push(await production.counter('ttl-route', rule).take('203.0.113.7', 0));
    expect(verdicts.map((v) => v.remaining)).toEqual([9, 8, 7]);
    // Three tokens of 6 s each, less whatever Redis TIME moved between the calls.
    expect(verdicts[2].resetMs).toBeLessThanOrEqual(18_000);
    expect(verdicts[2].resetMs).toBeGreaterThan(0);
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys('ttl:*');
      expect(keys).toHaveLength(1);
      expect(keys[0]).toMatch(/^ttl:\{203\.0\.113\.7\}:[0-9a-f]{16}$/);
      const ttl = await client.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(18_000);
    } finally {
      client.disconnect();
    }
  });

  it.each([
    ['allow', true],
    ['deny', false],
  ] as const)('on_error: %s decides while Redis is unreachable, and skips it after consecutive failures', async (onError, allowed) => {
    const deadPort = await freeLoopbackPort();
    const clock = new FakeClock();
    const observer = new RecordingObserver();
    const store = new RedisRateLimitStore(spec(`redis://127.0.0.1:${deadPort}/0`, { onError }), { clock, logger: new RecordingLogger(), observer, local: new MemoryRateLimitStore() });
    stores.push(store);
    await store.connect();
    const counter = store.counter('down', RULES[0]);
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await counter.take('k', clock.nowMs()));
    expect(verdicts.map((v) => v.allowed)).toEqual([allowed, allowed, allowed, allowed, allowed]);
    // Three failures open the breaker; the next calls are not even tried.
    expect(observer.failures.slice(0, 3)).toEqual(['unavailable', 'unavailable', 'unavailable']);
    expect(observer.failures.slice(3)).toEqual(['skipped', 'skipped']);
    expect(observer.calls).toBe(3);
    const health = store.health();
    expect(health?.failsReadiness).toBe(onError === 'deny');
    expect(health?.detail).toContain(`on_error: ${onError}`);
    // After the skip period one trial goes to Redis again.
    clock.advance(250);
    await counter.take('k', clock.nowMs());
    expect(observer.calls).toBe(4);
  });

  it('on_error: local counts in this process while Redis is unreachable', async () => {
    const deadPort = await freeLoopbackPort();
    const store = new RedisRateLimitStore(spec(`redis://127.0.0.1:${deadPort}/0`, { onError: 'local' }), {
      clock: new FakeClock(),
      logger: new RecordingLogger(),
      observer: new RecordingObserver(),
      local: new MemoryRateLimitStore(),
    });
    stores.push(store);
    await store.connect();
    const counter = store.counter('local', RULES[0]);
    const verdicts = [];
    for (let i = 0; i < 4; i++) verdicts.push(await counter.take('k', 1_000_000));
    expect(verdicts.map((v) => v.allowed)).toEqual([true, true, true, false]);
  });

  it('redacts the password of the URL in what it reports', async () => {
    const deadPort = await freeLoopbackPort();
    const logger = new RecordingLogger();
    const store = new RedisRateLimitStore(spec(`redis://prox:hunter2@127.0.0.1:${deadPort}/0`), { clock: new FakeClock(), logger, observer: new RecordingObserver(), local: new MemoryRateLimitStore() });
    stores.push(store);
    await store.connect();
    expect(store.health()?.detail).toContain('redis://prox:[redacted]@127.0.0.1');
    expect(logger.entries.map((entry) => entry.message)).toContain('rate limit store unavailable; requests follow on_error');
    expect(JSON.stringify(logger.entries)).not.toContain('hunter2');
    expect(JSON.stringify(store.health())).not.toContain('hunter2');
  });
});
