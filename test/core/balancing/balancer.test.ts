import type { BalanceStrategy } from '../../../src/config/model';
import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, FakeView, noRandom, picks, ScriptedRandom, XorShiftRandom } from './fakes';

const strategies: readonly BalanceStrategy[] = [
  'round_robin',
  'weighted_round_robin',
  'least_connections',
  'random',
  'power_of_two',
  'ip_hash',
  'consistent_hash',
];

describe('createBalancer (every strategy)', () => {
  test.each(strategies)('%s: all backends unavailable -> -1, with and without a key, no draw', (strategy) => {
    const balancer = createBalancer(strategy, backends(3, 1, 2), noRandom);
    const view = new FakeView(3).setDown(0, 1, 2);
    expect(picks(balancer, view, 4)).toEqual([-1, -1, -1, -1]);
    expect(picks(balancer, view, 4, '10.0.0.1')).toEqual([-1, -1, -1, -1]);
  });

  test.each(strategies)('%s: no backends -> -1', (strategy) => {
    const balancer = createBalancer(strategy, [], noRandom);
    expect(picks(balancer, new FakeView(0), 3)).toEqual([-1, -1, -1]);
    expect(picks(balancer, new FakeView(0), 3, 'key')).toEqual([-1, -1, -1]);
  });

  test.each(strategies)('%s: single backend -> 0 while available, -1 while not', (strategy) => {
    const balancer = createBalancer(strategy, backends(4), new XorShiftRandom(5));
    const view = new FakeView(1, { load: [7] });
    expect(picks(balancer, view, 5)).toEqual([0, 0, 0, 0, 0]);
    expect(picks(balancer, view, 3, 'some-key')).toEqual([0, 0, 0]);
    view.setDown(0);
    expect(picks(balancer, view, 2)).toEqual([-1, -1]);
    expect(picks(balancer, view, 2, 'some-key')).toEqual([-1, -1]);
    view.setUp(0);
    expect(picks(balancer, view, 2, 'some-key')).toEqual([0, 0]);
  });

  test.each(strategies)('%s: only available backends are ever picked', (strategy) => {
    const balancer = createBalancer(strategy, backends(1, 2, 3, 4, 5), new XorShiftRandom(11));
    const view = new FakeView(5).setDown(1, 3);
    for (let i = 0; i < 500; i++) {
      const picked = balancer.pick(view, `key-${i}`);
      expect([0, 2, 4]).toContain(picked);
      view.load[picked]++;
    }
  });

  test.each(strategies)('%s: state is per instance', (strategy) => {
    const a = createBalancer(strategy, backends(1, 1, 1), new XorShiftRandom(3));
    const b = createBalancer(strategy, backends(1, 1, 1), new XorShiftRandom(3));
    const view = new FakeView(3);
    const first = picks(a, view, 4, 'k');
    picks(a, view, 5, 'k');
    expect(picks(b, view, 4, 'k')).toEqual(first);
  });

  test.each<[string, number]>([
    ['zero', 0],
    ['negative', -1],
    ['fractional', 1.5],
    ['NaN', Number.NaN],
    ['infinite', Number.POSITIVE_INFINITY],
  ])('rejects a %s weight', (_, weight) => {
    for (const strategy of strategies) {
      expect(() => createBalancer(strategy, [{ id: 'http://a', weight: 1 }, { id: 'http://b', weight }], noRandom)).toThrow(
        RangeError,
      );
    }
  });

  test('rejects an unknown strategy', () => {
    expect(() => createBalancer('fastest' as BalanceStrategy, backends(1, 1), noRandom)).toThrow(/unknown balance strategy/);
  });

  test.each<[BalanceStrategy, number[]]>([
    ['round_robin', [0, 1, 2, 0]],
    ['weighted_round_robin', [0, 0, 1, 0, 2, 0, 0]],
    ['least_connections', [0, 1, 2, 0]],
  ])('%s never draws randomly', (strategy, expected) => {
    const balancer = createBalancer(strategy, backends(5, 1, 1), noRandom);
    expect(picks(balancer, new FakeView(3), expected.length, 'key')).toEqual(expected);
  });

  test('hash strategies with a key never draw randomly; without one they draw once over the available weights', () => {
    for (const strategy of ['ip_hash', 'consistent_hash'] as const) {
      expect(() => picks(createBalancer(strategy, backends(2, 3), noRandom), new FakeView(2), 5, '192.0.2.1')).not.toThrow();
      const random = new ScriptedRandom([4]);
      expect(createBalancer(strategy, backends(2, 3, 7), random).pick(new FakeView(3).setDown(2), null)).toBe(1);
      expect(random.requestedMaxima).toEqual([5]);
    }
  });
});
