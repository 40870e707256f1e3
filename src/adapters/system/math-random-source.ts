import type { RandomSource } from '../../ports/random';

export class MathRandomSource implements RandomSource {
  nextInt(exclusiveMax: number): number {
    return Math.floor(Math.random() * exclusiveMax);
  }
}
