import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, counts, FakeView, noRandom, picks, ScriptedRandom, XorShiftRandom } from './fakes';

describe('random (weighted)', () => {
  test.each<[number[], readonly number[], number[], number[], number]>([
    // weights, down, scripted draws, expected picks, maximum asked for
    [[1, 1, 1], [], [2, 0, 1, 1], [2, 0, 1, 1], 3],
    [[5, 1, 1], [], [0, 1, 2, 3, 4, 5, 6], [0, 0, 0, 0, 0, 1, 2], 7],
    [[5, 1, 1], [1], [4, 5, 0], [0, 2, 0], 6],
    [[5, 1, 1], [0], [0, 1], [1, 2], 2],
    [[2, 3, 4], [], [0, 1, 2, 4, 5, 8], [0, 0, 1, 1, 2, 2], 9],
    [[2, 3, 4], [2], [0, 1, 2, 4], [0, 0, 1, 1], 5],
  ])('weights %j, down %j, draws %j -> %j', (weights, down, draws, expected, maximum) => {
    const random = new ScriptedRandom(draws);
    const balancer = createBalancer('random', backends(...weights), random);
    expect(picks(balancer, new FakeView(weights.length, { down }), expected.length)).toEqual(expected);
    expect(random.requestedMaxima).toEqual(expected.map(() => maximum));
  });

  test('every draw of a full cycle gives exact weight counts', () => {
    const weights = [5, 1, 3, 2];
    const draws = Array.from({ length: 11 }, (_, i) => i);
    const balancer = createBalancer('random', backends(...weights), new ScriptedRandom(draws));
    expect(counts(picks(balancer, new FakeView(4), 11), 4)).toEqual([5, 1, 3, 2]);
  });

  test('all unavailable -> -1 without a draw', () => {
    const balancer = createBalancer('random', backends(1, 2), noRandom);
    expect(picks(balancer, new FakeView(2, { down: [0, 1] }), 3)).toEqual([-1, -1, -1]);
  });

  test('is deterministic for a seed', () => {
    const a = createBalancer('random', backends(3, 1, 2), new XorShiftRandom(99));
    const b = createBalancer('random', backends(3, 1, 2), new XorShiftRandom(99));
    const view = new FakeView(3);
    expect(picks(a, view, 50)).toEqual(picks(b, view, 50));
  });

  test.each<[number[], readonly number[]]>([
    [[5, 1, 1], []],
    [[1, 1, 1, 1], []],
    [[3, 2, 1], [1]],
  ])('weights %j, down %j: shares follow weights over 70,000 seeded picks', (weights, down) => {
    const random = new XorShiftRandom(12345);
    const balancer = createBalancer('random', backends(...weights), random);
    const n = 70_000;
    const result = counts(picks(balancer, new FakeView(weights.length, { down }), n), weights.length);
    const availableWeight = weights.reduce((sum, w, i) => (down.includes(i) ? sum : sum + w), 0);
    weights.forEach((w, i) => {
      const expected = down.includes(i) ? 0 : (n * w) / availableWeight;
      expect(Math.abs(result[i] - expected)).toBeLessThanOrEqual(n * 0.01);
    });
    expect(random.draws).toBe(n);
  });
});
