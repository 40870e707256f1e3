import type { BackendLoadView } from '../../../src/core/balancing/balancer';
import { createBalancer } from '../../../src/core/balancing/balancer';
import { backends, FakeView, noRandom, picks, ScriptedRandom, XorShiftRandom } from './fakes';

function powerOfTwo(size: number, random: ConstructorParameters<typeof ScriptedRandom>[0] | XorShiftRandom) {
  const source = random instanceof XorShiftRandom ? random : new ScriptedRandom(random);
  return { balancer: createBalancer('power_of_two', backends(...Array.from({ length: size }, () => 1)), source), source };
}

describe('power_of_two', () => {
  test.each<[string, readonly number[], readonly number[], number[], number, number[]]>([
    // name, loads, down, draws, expected, maxima asked
    ['second drawn is less loaded', [5, 1, 3], [], [0, 0], 1, [3, 2]],
    ['first drawn is less loaded', [0, 4, 4], [], [0, 1], 0, [3, 2]],
    ['tie goes to the first drawn', [2, 2, 2], [], [2, 0], 2, [3, 2]],
    ['second draw skips the first', [9, 9, 1], [], [1, 1], 2, [3, 2]],
    ['second draw below the first', [9, 1, 9], [], [2, 1], 1, [3, 2]],
    ['ranks count available backends only', [9, 0, 1, 1], [1], [2, 0], 3, [3, 2]],
    ['two available', [3, 9, 1], [1], [0, 0], 2, [2, 1]],
  ])('%s', (_, load, down, draws, expected, maxima) => {
    const { balancer, source } = powerOfTwo(load.length, draws);
    expect(balancer.pick(new FakeView(load.length, { load, down }), null)).toBe(expected);
    expect((source as ScriptedRandom).requestedMaxima).toEqual(maxima);
  });

  test('exact sequence from a script', () => {
    const { balancer } = powerOfTwo(4, [0, 0, 3, 2, 1, 2, 2, 0]);
    // draws (first, second-rank): (0,0→1) (3,2) (1,2→3) (2,0)
    const view = new FakeView(4, { load: [4, 2, 6, 1] });
    expect(picks(balancer, view, 4)).toEqual([1, 3, 3, 0]);
  });

  test('one available backend is chosen without a draw; none -> -1 without a draw', () => {
    const balancer = createBalancer('power_of_two', backends(1, 1, 1), noRandom);
    expect(picks(balancer, new FakeView(3, { down: [0, 2], load: [0, 50, 0] }), 2)).toEqual([1, 1]);
    expect(picks(balancer, new FakeView(3, { down: [0, 1, 2] }), 2)).toEqual([-1, -1]);
  });

  test('the two candidates are always distinct available backends', () => {
    const compared: number[][] = [];
    const size = 5;
    const view: BackendLoadView & { current: number[] } = {
      current: [],
      isAvailable: (i) => i !== 2,
      inFlight(i) {
        this.current.push(i);
        return 0;
      },
    };
    const { balancer } = powerOfTwo(size, new XorShiftRandom(7));
    for (let i = 0; i < 2000; i++) {
      view.current = [];
      balancer.pick(view, null);
      compared.push(view.current);
    }
    for (const pair of compared) {
      expect(pair).toHaveLength(2);
      expect(pair[0]).not.toBe(pair[1]);
      expect(pair).not.toContain(2);
    }
    const seen = new Set(compared.map(([a, b]) => `${a}-${b}`));
    expect(seen.size).toBe(12); // every ordered pair of the 4 available backends
  });

  test('keeps loads balanced when requests never finish', () => {
    const { balancer } = powerOfTwo(6, new XorShiftRandom(2024));
    const view = new FakeView(6);
    for (let i = 0; i < 6000; i++) view.load[balancer.pick(view, null)]++;
    expect(Math.max(...view.load) - Math.min(...view.load)).toBeLessThanOrEqual(3);
  });

  test('ignores weights', () => {
    const balancer = createBalancer('power_of_two', backends(100, 1), new ScriptedRandom([1, 0]));
    expect(balancer.pick(new FakeView(2, { load: [1, 0] }), null)).toBe(1);
  });
});
