import { MemoryRateLimitCounter, MemoryRateLimitStore } from '../../../src/adapters/memory/memory-rate-limit-store';
import { FixedWindow, TokenBucket } from '../../../src/core/rate-limit/algorithms';
import type { RateLimitRule, RateLimitVerdict } from '../../../src/ports/rate-limit-store';
import { FakeClock } from '../support/fake-clock';

const RULE: RateLimitRule = { algorithm: 'token_bucket', requests: 2, periodMs: 2000, burst: 2, maxKeys: 100 };

function taken(verdict: RateLimitVerdict | Promise<RateLimitVerdict>): RateLimitVerdict {
  if (verdict instanceof Promise) throw new Error('the memory store must answer synchronously');
  return verdict;
}

describe('MemoryRateLimitCounter', () => {
  it('keeps one quota per key', () => {
    const clock = new FakeClock();
    const counter = new MemoryRateLimitCounter(new TokenBucket(RULE), 100);
    const now = clock.nowMs();
    expect([1, 2, 3].map(() => taken(counter.take('a', now)).allowed)).toEqual([true, true, false]);
    expect(taken(counter.take('b', now)).allowed).toBe(true);
    expect(counter.size).toBe(2);
  });

  it('never tracks more than max_keys: a flood of 10× as many distinct keys stays at the cap', () => {
    const clock = new FakeClock();
    const cap = 1000;
    const counter = new MemoryRateLimitCounter(new TokenBucket({ ...RULE, periodMs: 3_600_000 }), cap);
    let largest = 0;
    for (let i = 0; i < cap * 10; i++) {
      counter.take(`10.0.${i >> 8}.${i & 255}`, clock.nowMs());
      largest = Math.max(largest, counter.size);
    }
    expect(largest).toBe(cap);
    expect(counter.size).toBe(cap);
  });

  it('evicts the least recently used key at the cap; an evicted key starts again with a full quota', () => {
    const clock = new FakeClock();
    const counter = new MemoryRateLimitCounter(new FixedWindow({ ...RULE, algorithm: 'fixed_window', requests: 1, periodMs: 60_000 }), 2);
    const now = clock.nowMs();
    expect(taken(counter.take('old', now)).allowed).toBe(true);
    expect(taken(counter.take('recent', now)).allowed).toBe(true);
    // Touch "old" (refused, still counts as use), so "recent" is now the least recently used.
    expect(taken(counter.take('old', now)).allowed).toBe(false);
    counter.take('new', now);
    expect(counter.size).toBe(2);
    expect(taken(counter.take('old', now)).allowed).toBe(false); // kept: still limited
    expect(taken(counter.take('recent', now)).allowed).toBe(true); // evicted: fresh quota (the documented tradeoff)
  });

  it('drops idle keys (quota whole again) as new keys arrive, so memory follows the active keys', () => {
    const clock = new FakeClock();
    const counter = new MemoryRateLimitCounter(new TokenBucket(RULE), 100_000);
    for (let i = 0; i < 50; i++) counter.take(`k${i}`, clock.nowMs());
    expect(counter.size).toBe(50);
    clock.advance(1000); // each took one token of two: full again after one interval (1 s)
    for (let i = 0; i < 50; i++) counter.take(`fresh${i}`, clock.nowMs());
    // Each new key checked the two oldest: all 50 idle keys are gone.
    expect(counter.size).toBe(50);
    clock.advance(999);
    counter.take('one-more', clock.nowMs());
    // The fresh keys are not idle yet (1 ms short): nothing dropped.
    expect(counter.size).toBe(51);
  });
});

describe('MemoryRateLimitStore', () => {
  it('hands out the same counters for the same id (state survives a reload), and forgets ids not retained', () => {
    const store = new MemoryRateLimitStore();
    const first = store.counter('/api\nrule-a', RULE);
    void first.take('client', 0);
    expect(store.counter('/api\nrule-a', RULE)).toBe(first);
    const other = store.counter('/api\nrule-b', RULE);
    store.retainOnly(new Set(['/api\nrule-b']));
    expect(store.size).toBe(1);
    expect(store.counter('/api\nrule-b', RULE)).toBe(other);
    expect(store.counter('/api\nrule-a', RULE)).not.toBe(first);
  });
});
