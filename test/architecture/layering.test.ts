import { cruise, describeViolation } from './cruise';

// The layering rules live in .dependency-cruiser.cjs (docs/architecture.md, "Enforced rules");
// test/architecture/layering-rules.test.ts shows that each of them catches what it should.
describe('layering of src', () => {
  const violations = cruise();

  it('breaks no dependency rule and has no cycle', () => {
    const errors = violations.filter((violation) => violation.severity !== 'ignore').map(describeViolation);
    expect(errors).toEqual([]);
  });

  it('still needs each temporary exception in .dependency-cruiser.cjs (delete the stale ones)', () => {
    // dependency-cruiser reports excused violations with severity "ignore"; an exception that no
    // longer matches anything is dead weight that could hide a future regression.
    const excused = violations.filter((violation) => violation.severity === 'ignore');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const config = require('../../.dependency-cruiser.cjs') as { options: { knownViolations: { from: string; to: string; rule: { name: string } }[] } };
    const unused = config.options.knownViolations
      .filter((known) => !excused.some((violation) => violation.rule === known.rule.name && (
        (violation.from === known.from && violation.to === known.to) ||
        (violation.cycle !== undefined && violation.cycle.includes(known.from) && violation.cycle.includes(known.to)))))
      .map((known) => `${known.rule.name}: ${known.from} → ${known.to}`);
    expect(unused).toEqual([]);
  });
});
