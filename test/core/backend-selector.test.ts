import { RandomSelector, RoundRobinSelector, SoleBackendSelector } from '../../src/core/balancing/backend-selector';
import type { RandomSource } from '../../src/ports/random';
import { SeededRandom } from './support/seeded-random';

function picks(selector: { pick(): number }, n: number): number[] {
  return Array.from({ length: n }, () => selector.pick());
}

describe('RoundRobinSelector', () => {
  test('rotates over 3 and continues across calls', () => {
    const rr = new RoundRobinSelector(3);
    expect(picks(rr, 4)).toEqual([0, 1, 2, 0]);
    expect(picks(rr, 5)).toEqual([1, 2, 0, 1, 2]);
    expect(rr.pick()).toBe(0);
  });

  test.each<[number, number[]]>([
    [1, [0, 0, 0, 0]],
    [2, [0, 1, 0, 1, 0]],
    [4, [0, 1, 2, 3, 0, 1, 2, 3, 0]],
  ])('size %i -> %j', (size, expected) => {
    expect(picks(new RoundRobinSelector(size), expected.length)).toEqual(expected);
  });

  test('state is per instance', () => {
    const a = new RoundRobinSelector(3);
    const b = new RoundRobinSelector(3);
    expect(picks(a, 2)).toEqual([0, 1]);
    expect(picks(b, 1)).toEqual([0]);
    expect(picks(a, 2)).toEqual([2, 0]);
    expect(picks(b, 3)).toEqual([1, 2, 0]);
  });

  test('every backend gets exactly its share over whole cycles', () => {
    const counts = [0, 0, 0, 0, 0];
    const rr = new RoundRobinSelector(5);
    for (let i = 0; i < 500; i++) counts[rr.pick()]++;
    expect(counts).toEqual([100, 100, 100, 100, 100]);
  });
});

describe('SeededRandom (test support)', () => {
  test('is deterministic for a seed and differs between seeds', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const seqA = picks({ pick: () => a.nextInt(1000) }, 8);
    expect(picks({ pick: () => b.nextInt(1000) }, 8)).toEqual(seqA);
    expect(picks({ pick: () => c.nextInt(1000) }, 8)).not.toEqual(seqA);
  });

  test('matches the reference mulberry32 output', () => {
    const r = new SeededRandom(42);
    expect(r.nextFloat()).toBe(0.6011037519201636);
    expect(r.nextFloat()).toBe(0.44829055899754167);
  });

  test('stays in [0, max)', () => {
    const r = new SeededRandom(1);
    for (let i = 0; i < 1000; i++) {
      const v = r.nextInt(3);
      expect(v === 0 || v === 1 || v === 2).toBe(true);
    }
  });
});

describe('RandomSelector', () => {
  test('gives the exact sequence of a seeded source (seed 42, 3 backends)', () => {
    const selector = new RandomSelector(3, new SeededRandom(42));
    expect(picks(selector, 12)).toEqual([1, 1, 2, 2, 0, 1, 0, 1, 2, 1, 0, 2]);
  });

  test('gives the exact sequence of a seeded source (seed 7, 5 backends)', () => {
    const selector = new RandomSelector(5, new SeededRandom(7));
    expect(picks(selector, 12)).toEqual([0, 0, 4, 3, 2, 2, 2, 1, 2, 3, 1, 0]);
  });

  test('asks the source for an index below the backend count, once per pick', () => {
    const random = new SeededRandom(9);
    const selector = new RandomSelector(4, random);
    picks(selector, 3);
    expect(random.requestedMaxima).toEqual([4, 4, 4]);
  });

  test('returns what the source returns', () => {
    const scripted = [2, 0, 1, 1];
    const source: RandomSource = { nextInt: () => scripted.shift()! };
    expect(picks(new RandomSelector(3, source), 4)).toEqual([2, 0, 1, 1]);
  });
});

describe('SoleBackendSelector', () => {
  test('always 0', () => {
    expect(picks(new SoleBackendSelector(), 3)).toEqual([0, 0, 0]);
  });
});
