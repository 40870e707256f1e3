import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, counts, FakeView, letters, noRandom, picks } from './fakes';

function wrr(...weights: number[]) {
  return createBalancer('weighted_round_robin', backends(...weights), noRandom);
}

describe('weighted_round_robin (nginx smooth)', () => {
  test('weights 5/1/1 give exactly a a b a c a a, repeating', () => {
    const balancer = wrr(5, 1, 1);
    const view = new FakeView(3);
    for (let cycle = 0; cycle < 4; cycle++) {
      expect(letters(picks(balancer, view, 7))).toBe('a a b a c a a');
    }
  });

  test.each<[number[], readonly number[], string]>([
    [[1, 1, 1], [], 'a b c a b c'],
    [[2, 1], [], 'a b a a b a'],
    [[1, 2], [], 'b a b b a b'],
    [[3, 2, 1], [], 'a b a c b a a b a c b a'],
    [[4, 2, 1], [], 'a b a c a b a'],
    [[5, 1, 1], [2], 'a a a b a a a a a b a a'],
    [[5, 1, 1], [0], 'b c b c'],
    [[5, 1, 1], [1, 2], 'a a a'],
    [[1, 1, 1], [0, 1, 2], '- - -'],
  ])('weights %j, down %j -> %s', (weights, down, expected) => {
    const sequence = picks(wrr(...weights), new FakeView(weights.length, { down }), expected.split(' ').length);
    expect(letters(sequence)).toBe(expected);
  });

  test.each<[number[], readonly number[], number, number[]]>([
    [[5, 1, 1], [], 700, [500, 100, 100]],
    [[3, 5, 2], [], 1000, [300, 500, 200]],
    [[10, 1], [], 1100, [1000, 100]],
    [[3, 5, 2, 7], [1], 1200, [300, 0, 200, 700]],
    [[1, 1, 1, 1], [], 400, [100, 100, 100, 100]],
  ])('weights %j, down %j: exact counts over %i picks', (weights, down, n, expected) => {
    expect(counts(picks(wrr(...weights), new FakeView(weights.length, { down }), n), weights.length)).toEqual(expected);
  });

  test('smooth: with 5/1/1 the light backends are never picked back to back', () => {
    const sequence = picks(wrr(5, 1, 1), new FakeView(3), 70);
    for (let i = 1; i < sequence.length; i++) {
      expect(sequence[i] !== 0 && sequence[i - 1] !== 0).toBe(false);
    }
  });

  test('an unavailable backend keeps its state and rejoins; all down changes nothing', () => {
    const balancer = wrr(5, 1, 1);
    const view = new FakeView(3);
    expect(letters(picks(balancer, view, 3))).toBe('a a b');
    view.setDown(0, 1, 2);
    expect(picks(balancer, view, 2)).toEqual([-1, -1]);
    view.setUp(0, 1, 2);
    expect(letters(picks(balancer, view, 4))).toBe('a c a a');
    expect(letters(picks(balancer, view, 7))).toBe('a a b a c a a');
  });

  test('a single backend is always picked', () => {
    expect(picks(wrr(3), new FakeView(1), 4)).toEqual([0, 0, 0, 0]);
  });
});
