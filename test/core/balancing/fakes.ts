import type { BackendLoadView, BalancedBackend, Balancer } from '../../../src/core/balancing/balancer';
import type { RandomSource } from '../../../src/ports/random';

/** Answers `nextInt` from a fixed script; records every maximum asked for. */
export class ScriptedRandom implements RandomSource {
  readonly requestedMaxima: number[] = [];
  private next = 0;

  constructor(private readonly script: readonly number[]) {}

  nextInt(exclusiveMax: number): number {
    this.requestedMaxima.push(exclusiveMax);
    if (this.next >= this.script.length) throw new Error(`random script exhausted after ${this.script.length} draws`);
    const value = this.script[this.next++];
    if (!Number.isInteger(value) || value < 0 || value >= exclusiveMax) {
      throw new Error(`scripted ${value} is outside [0, ${exclusiveMax})`);
    }
    return value;
  }

  get remaining(): number {
    return this.script.length - this.next;
  }
}

/** Deterministic PRNG (xorshift32) for long runs. */
export class XorShiftRandom implements RandomSource {
  draws = 0;
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0 || 1;
  }

  nextInt(exclusiveMax: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    this.draws++;
    return Math.floor((this.state / 4294967296) * exclusiveMax);
  }
}

/** A RandomSource for strategies that must never draw. */
export const noRandom: RandomSource = {
  nextInt(): number {
    throw new Error('unexpected random draw');
  },
};

/** Mutable view: all available with no load unless told otherwise. */
export class FakeView implements BackendLoadView {
  readonly available: boolean[];
  readonly load: number[];
  availabilityQueries = 0;

  constructor(size: number, options: { down?: readonly number[]; load?: readonly number[] } = {}) {
    this.available = Array.from({ length: size }, (_, i) => !(options.down ?? []).includes(i));
    this.load = options.load ? [...options.load] : Array.from({ length: size }, () => 0);
  }

  isAvailable(index: number): boolean {
    this.availabilityQueries++;
    return this.available[index];
  }

  inFlight(index: number): number {
    return this.load[index];
  }

  setDown(...indexes: number[]): this {
    for (const i of indexes) this.available[i] = false;
    return this;
  }

  setUp(...indexes: number[]): this {
    for (const i of indexes) this.available[i] = true;
    return this;
  }
}

export function backends(...weights: number[]): BalancedBackend[] {
  return weights.map((weight, i) => ({ id: `http://backend-${i}.internal:8080`, weight }));
}

export function picks(balancer: Balancer, view: BackendLoadView, n: number, key: string | null = null): number[] {
  return Array.from({ length: n }, () => balancer.pick(view, key));
}

export function letters(indexes: readonly number[]): string {
  return indexes.map((i) => (i === -1 ? '-' : String.fromCharCode(97 + i))).join(' ');
}

export function counts(indexes: readonly number[], size: number): number[] {
  const result = Array.from({ length: size }, () => 0);
  for (const i of indexes) result[i]++;
  return result;
}
