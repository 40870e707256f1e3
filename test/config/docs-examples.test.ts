import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadConfigText } from '../../src/config/loader';

const DOC = path.join(__dirname, '..', '..', 'docs', 'configuration.md');

/** YAML blocks in the reference that are whole config files (fragments are left out). */
function completeExamples(): string[] {
  const markdown = readFileSync(DOC, 'utf8');
  const blocks = [...markdown.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  return blocks.filter((b) => /^listen_addr:/m.test(b) && /^routes:/m.test(b));
}

describe('docs/configuration.md', () => {
  it('has complete examples', () => {
    expect(completeExamples().length).toBeGreaterThanOrEqual(2);
  });

  it.each(completeExamples().map((text, i) => [i, text] as const))('complete example %i is valid', (_i, text) => {
    const result = loadConfigText(text, 'docs example');
    expect(result.ok ? [] : result.errors.map((e) => `${e.line}:${e.col} ${e.message}`)).toEqual([]);
    // An example should not show settings that have no effect.
    const pointless = result.warnings.filter((w) => !/not active yet/.test(w.message));
    expect(pointless.map((w) => `${w.line}:${w.col} ${w.message}`)).toEqual([]);
  });

  it('has an example using weights, health checks, passive, circuit breaker and retries together', () => {
    const together = completeExamples().filter((text) =>
      ['weight:', 'health_check:', 'passive:', 'circuit_breaker:', 'retries:'].every((field) => text.includes(field)),
    );
    expect(together.length).toBeGreaterThanOrEqual(1);
  });
});
