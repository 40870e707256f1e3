import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, counts, FakeView, noRandom, picks } from './fakes';

function leastConnections(size: number) {
  return createBalancer('least_connections', backends(...Array.from({ length: size }, (_, i) => i + 1)), noRandom);
}

describe('least_connections', () => {
  test.each<[readonly number[], readonly number[], number]>([
    [[3, 1, 2], [], 1],
    [[0, 5, 5], [], 0],
    [[5, 5, 0], [], 2],
    [[7, 2, 9, 2], [1], 3],
    [[0, 5, 5], [0], 1],
    [[1, 1, 1], [0, 1, 2], -1],
  ])('loads %j, down %j -> %i', (load, down, expected) => {
    expect(leastConnections(load.length).pick(new FakeView(load.length, { load, down }), null)).toBe(expected);
  });

  test.each<[readonly number[], readonly number[], number[]]>([
    [[0, 0, 0], [], [0, 1, 2, 0, 1, 2]],
    [[0, 5, 0, 0], [], [0, 2, 3, 0, 2, 3]],
    [[4, 4, 4, 4], [2], [0, 1, 3, 0, 1, 3]],
    [[1, 0, 0, 1], [], [1, 2, 1, 2]],
  ])('fixed loads %j, down %j: ties rotate -> %j', (load, down, expected) => {
    const view = new FakeView(load.length, { load, down });
    expect(picks(leastConnections(load.length), view, expected.length)).toEqual(expected);
  });

  test('requests that never finish spread evenly, in rotation', () => {
    const balancer = leastConnections(3);
    const view = new FakeView(3);
    const sequence: number[] = [];
    for (let i = 0; i < 9; i++) {
      const picked = balancer.pick(view, null);
      view.load[picked]++;
      sequence.push(picked);
    }
    expect(sequence).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2]);
  });

  test('a busy backend is avoided until the others catch up', () => {
    const balancer = leastConnections(3);
    const view = new FakeView(3, { load: [3, 0, 0] });
    const sequence: number[] = [];
    for (let i = 0; i < 9; i++) {
      const picked = balancer.pick(view, null);
      view.load[picked]++;
      sequence.push(picked);
    }
    expect(sequence).toEqual([1, 2, 1, 2, 1, 2, 0, 1, 2]);
    expect(view.load).toEqual([4, 4, 4]);
  });

  test('finished requests pull traffic back to the freed backend', () => {
    const balancer = leastConnections(2);
    const view = new FakeView(2, { load: [5, 5] });
    view.load[1] = 2;
    expect(picks(balancer, view, 2)).toEqual([1, 1]);
  });

  test('ignores weights (weights 1,2,3 but equal loads spread evenly)', () => {
    expect(counts(picks(leastConnections(3), new FakeView(3), 300), 3)).toEqual([100, 100, 100]);
  });
});
