/** Source of randomness for balancing decisions; seeded in tests so picks are reproducible. */
export interface RandomSource {
  /** Uniform integer in [0, exclusiveMax). */
  nextInt(exclusiveMax: number): number;
}

export const RandomSource = Symbol.for('prox.RandomSource');
