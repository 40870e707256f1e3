import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, counts, FakeView, noRandom, picks } from './fakes';

function roundRobin(size: number) {
  return createBalancer('round_robin', backends(...Array.from({ length: size }, () => 1)), noRandom);
}

describe('round_robin', () => {
  test.each<[number, readonly number[], number[]]>([
    [3, [], [0, 1, 2, 0, 1, 2, 0]],
    [2, [], [0, 1, 0, 1, 0]],
    [4, [], [0, 1, 2, 3, 0, 1, 2, 3, 0]],
    [3, [1], [0, 2, 0, 2, 0]],
    [3, [0], [1, 2, 1, 2]],
    [4, [0, 2], [1, 3, 1, 3]],
    [4, [1, 2, 3], [0, 0, 0]],
    [3, [0, 1, 2], [-1, -1, -1]],
  ])('%i backends, down %j -> %j', (size, down, expected) => {
    expect(picks(roundRobin(size), new FakeView(size, { down }), expected.length)).toEqual(expected);
  });

  test('the cursor persists across calls', () => {
    const rr = roundRobin(3);
    const view = new FakeView(3);
    expect(picks(rr, view, 4)).toEqual([0, 1, 2, 0]);
    expect(picks(rr, view, 5)).toEqual([1, 2, 0, 1, 2]);
    expect(rr.pick(view, null)).toBe(0);
  });

  test('the cursor moves just past the backend picked when others are skipped', () => {
    const rr = roundRobin(4);
    const view = new FakeView(4);
    expect(picks(rr, view, 1)).toEqual([0]);
    view.setDown(1, 2);
    expect(picks(rr, view, 1)).toEqual([3]);
    view.setUp(1, 2);
    expect(picks(rr, view, 5)).toEqual([0, 1, 2, 3, 0]);
  });

  test('a backend coming back joins the rotation at its turn', () => {
    const rr = roundRobin(3);
    const view = new FakeView(3, { down: [2] });
    expect(picks(rr, view, 3)).toEqual([0, 1, 0]);
    view.setUp(2);
    expect(picks(rr, view, 4)).toEqual([1, 2, 0, 1]);
  });

  test('all down leaves the cursor where it was', () => {
    const rr = roundRobin(3);
    const view = new FakeView(3);
    expect(picks(rr, view, 2)).toEqual([0, 1]);
    view.setDown(0, 1, 2);
    expect(picks(rr, view, 3)).toEqual([-1, -1, -1]);
    view.setUp(0, 1, 2);
    expect(picks(rr, view, 3)).toEqual([2, 0, 1]);
  });

  test('ignores weights', () => {
    const rr = createBalancer('round_robin', backends(5, 1, 1), noRandom);
    expect(picks(rr, new FakeView(3), 6)).toEqual([0, 1, 2, 0, 1, 2]);
  });

  test.each<[number, readonly number[], number[]]>([
    [5, [], [100, 100, 100, 100, 100]],
    [5, [1, 3], [167, 0, 167, 0, 166]],
    [3, [2], [250, 250, 0]],
  ])('exact shares: %i backends, down %j', (size, down, expected) => {
    const total = expected.reduce((a, b) => a + b, 0);
    expect(counts(picks(roundRobin(size), new FakeView(size, { down }), total), size)).toEqual(expected);
  });

  test('asks each backend at most once per pick', () => {
    const rr = roundRobin(5);
    const view = new FakeView(5, { down: [0, 1, 2, 3, 4] });
    rr.pick(view, null);
    expect(view.availabilityQueries).toBe(5);
  });
});
