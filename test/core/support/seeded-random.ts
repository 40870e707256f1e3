import type { RandomSource } from '../../../src/ports/random';

/**
 * Deterministic RandomSource for tests: mulberry32, a tiny 32-bit PRNG. The same seed always
 * yields the same sequence, so balancing picks can be asserted exactly.
 */
export class SeededRandom implements RandomSource {
  private state: number;
  /** Every `exclusiveMax` asked for, in order (lets tests check what the caller passed). */
  readonly requestedMaxima: number[] = [];

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform float in [0, 1). */
  nextFloat(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  nextInt(exclusiveMax: number): number {
    this.requestedMaxima.push(exclusiveMax);
    return Math.floor(this.nextFloat() * exclusiveMax);
  }
}
