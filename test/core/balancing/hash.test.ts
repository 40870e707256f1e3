import type { BalanceStrategy } from '../../../src/config/model';
import type { BalancedBackend } from '../../../src/core/balancing/balancer';
import { createBalancer } from '../../../src/core/balancing/balancer';
import { fmix32, fnv1a32, HashRing, hashString, MAX_RING_POINTS, POINTS_PER_WEIGHT } from '../../../src/core/balancing/hash-ring';
import { backends, counts, FakeView, noRandom, ScriptedRandom, XorShiftRandom } from './fakes';

const hashStrategies: readonly BalanceStrategy[] = ['ip_hash', 'consistent_hash'];
const keys = Array.from({ length: 10_000 }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

function named(...ids: string[]): BalancedBackend[] {
  return ids.map((id) => ({ id, weight: 1 }));
}

/** Backend id each key lands on with every backend available. */
function assignment(list: readonly BalancedBackend[], strategy: BalanceStrategy = 'consistent_hash'): string[] {
  const balancer = createBalancer(strategy, list, noRandom);
  const view = new FakeView(list.length);
  return keys.map((key) => list[balancer.pick(view, key)].id);
}

describe('hash functions', () => {
  test.each<[string, number]>([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j) is the reference FNV-1a', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  test('fmix32 is the murmur3 finaliser', () => {
    expect(fmix32(0)).toBe(0);
    expect(fmix32(0x811c9dc5)).toBe(hashString(''));
    const outputs = new Set(Array.from({ length: 1000 }, (_, i) => fmix32(i)));
    expect(outputs.size).toBe(1000);
  });

  test('hashString is an unsigned 32-bit value, stable, and distinguishes non-Latin-1 text', () => {
    for (const text of ['', 'x', '10.0.0.1', 'ключ', '🔑']) {
      const h = hashString(text);
      expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
      expect(hashString(text)).toBe(h);
    }
    expect(hashString('ключ')).not.toBe(hashString('ключи'));
    expect(fnv1a32('\u0101')).not.toBe(fnv1a32('\u0001'));
  });
});

describe('HashRing', () => {
  test.each<[number[], number[]]>([
    [[1, 1, 1], [100, 100, 100]],
    [[5, 1, 2], [500, 100, 200]],
  ])('weights %j -> points %j', (weights, expected) => {
    const ring = new HashRing(backends(...weights));
    expect(weights.map((_, i) => ring.pointsOf(i))).toEqual(expected);
    expect(ring.size).toBe(expected.reduce((a, b) => a + b, 0));
    expect(POINTS_PER_WEIGHT).toBe(100);
  });

  test('is capped at MAX_RING_POINTS by default', () => {
    const ring = new HashRing(backends(1000, 500, 500));
    expect(ring.size).toBe(MAX_RING_POINTS);
    expect([0, 1, 2].map((i) => ring.pointsOf(i))).toEqual([50_000, 25_000, 25_000]);
  });

  test.each<[number[], number, number[]]>([
    [[4, 2, 2], 400, [200, 100, 100]],
    [[3, 1], 100, [75, 25]],
    [[1000, 1], 500, [499, 1]],
    [[1], 10, [10]],
  ])('weights %j over a %i-point cap keep proportional shares -> %j', (weights, maxPoints, expected) => {
    const ring = new HashRing(backends(...weights), { maxPoints });
    expect(weights.map((_, i) => ring.pointsOf(i))).toEqual(expected);
  });

  test('lookup wraps past the last point and honours availability', () => {
    const ring = new HashRing(backends(1, 1), { pointsPerWeight: 3 });
    const view = new FakeView(2);
    const atTop = ring.lookup(0xffffffff, view);
    expect(atTop).toBe(ring.lookup(0, view)); // past the last point is the first point
    view.setDown(atTop);
    expect(ring.lookup(0xffffffff, view)).toBe(1 - atTop);
    view.setDown(0, 1);
    expect(ring.lookup(0xffffffff, view)).toBe(-1);
  });

  test('an empty ring finds nothing', () => {
    expect(new HashRing([]).lookup(123, new FakeView(0))).toBe(-1);
  });

  test('asks each backend at most once per lookup, even with all down', () => {
    const ring = new HashRing(backends(3, 3, 3, 3, 3, 3, 3, 3));
    const view = new FakeView(8, { down: [0, 1, 2, 3, 4, 5, 6, 7] });
    for (let i = 0; i < 100; i++) {
      view.availabilityQueries = 0;
      expect(ring.lookup(hashString(`k${i}`), view)).toBe(-1);
      expect(view.availabilityQueries).toBe(8);
    }
    view.setUp(5);
    for (let i = 0; i < 100; i++) {
      view.availabilityQueries = 0;
      expect(ring.lookup(hashString(`k${i}`), view)).toBe(5);
      expect(view.availabilityQueries).toBeLessThanOrEqual(8);
    }
  });

  test('repeated ids still get their own points', () => {
    const ring = new HashRing(named('http://same', 'http://same'));
    const view = new FakeView(2);
    const hits = counts(keys.slice(0, 2000).map((k) => ring.lookup(hashString(k), view)), 2);
    expect(hits[0]).toBeGreaterThan(600);
    expect(hits[1]).toBeGreaterThan(600);
  });
});

describe.each(hashStrategies)('%s', (strategy) => {
  test('exact backends for known keys (pins the hash: changing it would remap every client)', () => {
    const balancer = createBalancer(strategy, backends(1, 1, 1, 1, 1), noRandom);
    const view = new FakeView(5);
    const known = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6', '10.0.0.7', '10.0.0.8', 'user-42', '2001:db8::1'];
    expect(known.map((k) => balancer.pick(view, k))).toEqual([4, 2, 0, 2, 4, 4, 3, 3, 1, 4]);
  });

  test('the same key always reaches the same backend, across picks and across rebuilds', () => {
    const list = backends(1, 2, 1, 3);
    const a = createBalancer(strategy, list, noRandom);
    const b = createBalancer(strategy, list.map((x) => ({ ...x })), noRandom);
    const view = new FakeView(4);
    const first = keys.map((key) => a.pick(view, key));
    expect(keys.map((key) => a.pick(view, key))).toEqual(first);
    expect(keys.map((key) => b.pick(view, key))).toEqual(first);
    expect(new Set(first)).toEqual(new Set([0, 1, 2, 3]));
  });

  test('depends on backend ids, not on their order in the list', () => {
    const ids = ['http://a:1', 'http://b:1', 'http://c:1', 'http://d:1'];
    expect(assignment(named(...ids), strategy)).toEqual(assignment(named(...[...ids].reverse()), strategy));
  });

  test.each<[number[], number, number]>([
    [[1, 1, 1, 1, 1], 0.14, 0.26],
    [[1, 1, 1, 1, 1, 1, 1, 1, 1, 1], 0.06, 0.14],
  ])('equal weights %j spread 10,000 keys evenly (each share in [%d, %d])', (weights, low, high) => {
    const list = backends(...weights);
    const balancer = createBalancer(strategy, list, noRandom);
    const view = new FakeView(list.length);
    const result = counts(keys.map((k) => balancer.pick(view, k)), list.length);
    for (const c of result) {
      expect(c / keys.length).toBeGreaterThanOrEqual(low);
      expect(c / keys.length).toBeLessThanOrEqual(high);
    }
  });

  test('weights 3/1 give about three quarters of the keys to the first backend', () => {
    const balancer = createBalancer(strategy, backends(3, 1), noRandom);
    const view = new FakeView(2);
    const share = counts(keys.map((k) => balancer.pick(view, k)), 2)[0] / keys.length;
    expect(share).toBeGreaterThan(0.68);
    expect(share).toBeLessThan(0.82);
  });

  test('adding a 6th backend moves about 1/6 of keys, all of them to the new backend', () => {
    const five = named('http://a:80', 'http://b:80', 'http://c:80', 'http://d:80', 'http://e:80');
    const before = assignment(five, strategy);
    const after = assignment([...five, { id: 'http://f:80', weight: 1 }], strategy);
    const destinations = after.filter((id, i) => id !== before[i]);
    expect(new Set(destinations)).toEqual(new Set(['http://f:80']));
    const moved = destinations.length;
    expect(moved / keys.length).toBeGreaterThan(0.08);
    expect(moved / keys.length).toBeLessThan(0.25);
  });

  test('removing one of 5 backends moves only its own keys', () => {
    const five = named('http://a:80', 'http://b:80', 'http://c:80', 'http://d:80', 'http://e:80');
    const before = assignment(five, strategy);
    const after = assignment(five.filter((b) => b.id !== 'http://c:80'), strategy);
    const stayedOnRemoved = after.filter((id) => id === 'http://c:80');
    const movedOthers = before.filter((id, i) => id !== 'http://c:80' && after[i] !== id);
    expect(stayedOnRemoved).toEqual([]);
    expect(movedOthers).toEqual([]);
    const moved = before.filter((id) => id === 'http://c:80').length;
    expect(moved / keys.length).toBeGreaterThan(0.1);
    expect(moved / keys.length).toBeLessThan(0.3);
  });

  test('a key fails over to the next backend on the ring and returns when its backend recovers', () => {
    const list = named('http://a:80', 'http://b:80', 'http://c:80', 'http://d:80', 'http://e:80');
    const balancer = createBalancer(strategy, list, noRandom);
    const view = new FakeView(5);
    // The next backend clockwise is exactly where the key would live without its home backend.
    const withoutEach = list.map((_, home) => {
      const without = list.filter((__, i) => i !== home);
      const ring = createBalancer(strategy, without, noRandom);
      return (key: string) => without[ring.pick(new FakeView(4), key)].id;
    });
    for (const key of keys.slice(0, 300)) {
      const home = balancer.pick(view, key);
      view.setDown(home);
      const failover = balancer.pick(view, key);
      expect(failover).not.toBe(home);
      expect(failover).not.toBe(-1);
      expect(list[failover].id).toBe(withoutEach[home](key));
      expect(balancer.pick(view, key)).toBe(failover);
      view.setUp(home);
      expect(balancer.pick(view, key)).toBe(home);
    }
  });

  test('while a backend is down only its keys move; the rest stay put', () => {
    const balancer = createBalancer(strategy, backends(1, 1, 1, 1), noRandom);
    const view = new FakeView(4);
    const before = keys.map((k) => balancer.pick(view, k));
    view.setDown(2);
    const during = keys.map((k) => balancer.pick(view, k));
    expect(during.filter((picked) => picked === 2)).toEqual([]);
    expect(during.filter((picked, i) => before[i] !== 2 && picked !== before[i])).toEqual([]);
    view.setUp(2);
    expect(keys.map((k) => balancer.pick(view, k))).toEqual(before);
  });

  test('with only one backend left every key goes there', () => {
    const balancer = createBalancer(strategy, backends(1, 1, 1, 1), noRandom);
    const view = new FakeView(4, { down: [0, 1, 3] });
    expect(new Set(keys.slice(0, 1000).map((k) => balancer.pick(view, k)))).toEqual(new Set([2]));
  });

  test.each<[number[], readonly number[], number[], number[], number]>([
    // weights, down, draws, expected picks, maximum asked for
    [[1, 1, 1], [], [0, 2, 1], [0, 2, 1], 3],
    [[5, 1, 1], [], [4, 5, 6], [0, 1, 2], 7],
    [[5, 1, 1], [0], [0, 1], [1, 2], 2],
  ])('null key: weighted random, weights %j, down %j, draws %j -> %j', (weights, down, draws, expected, maximum) => {
    const random = new ScriptedRandom(draws);
    const balancer = createBalancer(strategy, backends(...weights), random);
    const view = new FakeView(weights.length, { down });
    expect(expected.map(() => balancer.pick(view, null))).toEqual(expected);
    expect(random.requestedMaxima).toEqual(expected.map(() => maximum));
  });

  test('null key spreads by weight over many seeded picks', () => {
    const balancer = createBalancer(strategy, backends(3, 1), new XorShiftRandom(77));
    const view = new FakeView(2);
    const result = counts(Array.from({ length: 40_000 }, () => balancer.pick(view, null)), 2);
    expect(Math.abs(result[0] - 30_000)).toBeLessThan(600);
  });

  test('an empty-string key is still a key (hashed, no draw)', () => {
    const balancer = createBalancer(strategy, backends(1, 1, 1), noRandom);
    const view = new FakeView(3);
    expect(balancer.pick(view, '')).toBe(balancer.pick(view, ''));
  });
});

test('ip_hash and consistent_hash map keys identically', () => {
  const list = backends(2, 1, 3);
  expect(assignment(list, 'ip_hash')).toEqual(assignment(list, 'consistent_hash'));
});
