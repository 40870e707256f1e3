import { PassiveHealth } from '../../../src/core/health/passive-health';
import { passiveSpec } from '../support/specs';

const T0 = 1_000_000;
const always = (): boolean => true;

/** Records failures at `now` until one ejects; returns the ejection length. */
function failUntilEjected(passive: PassiveHealth, now: number, limit = 100): number {
  for (let i = 0; i < limit; i++) {
    const ejected = passive.recordFailure(now, always);
    if (ejected > 0) return ejected;
  }
  throw new Error('never ejected');
}

describe('PassiveHealth: ejection', () => {
  test('consecutive_failures failures in a row eject for ejection_secs', () => {
    const passive = new PassiveHealth(passiveSpec());
    expect(passive.recordFailure(T0, always)).toBe(0);
    expect(passive.recordFailure(T0, always)).toBe(0);
    expect(passive.isEjected(T0)).toBe(false);
    expect(passive.recordFailure(T0 + 5, always)).toBe(10_000);
    expect(passive.isEjected(T0 + 5)).toBe(true);
    expect(passive.isEjected(T0 + 10_004)).toBe(true);
    expect(passive.isEjected(T0 + 10_005)).toBe(false);
    expect(passive.remainingMs(T0 + 5)).toBe(10_000);
    expect(passive.remainingMs(T0 + 2_505)).toBe(7_500);
    expect(passive.remainingMs(T0 + 10_005)).toBe(0);
    expect(passive.remainingMs(T0 + 50_000)).toBe(0);
  });

  test.each<[string, number, string, number]>([
    // name, consecutive_failures, outcomes (F failure, S success), ejection length reported last
    ['a success resets the count', 3, 'FFSFF', 0],
    ['three in a row after the reset eject', 3, 'FFSFFF', 10_000],
    ['a success just before the threshold', 3, 'FFSFFSFF', 0],
    ['consecutive_failures 1 ejects at once', 1, 'F', 10_000],
    ['successes alone never eject', 1, 'SSSS', 0],
  ])('%s', (_name, consecutiveFailures, outcomes, lastEjection) => {
    const passive = new PassiveHealth(passiveSpec({ consecutiveFailures }));
    let last = 0;
    for (const o of outcomes) {
      if (o === 'F') last = passive.recordFailure(T0, always);
      else {
        passive.recordSuccess(T0);
        last = 0;
      }
    }
    expect(last).toBe(lastEjection);
    expect(passive.isEjected(T0)).toBe(lastEjection > 0);
  });

  test('failures while ejected (requests already in flight) neither count nor extend the ejection', () => {
    const passive = new PassiveHealth(passiveSpec());
    expect(failUntilEjected(passive, T0)).toBe(10_000);
    for (let i = 0; i < 10; i++) expect(passive.recordFailure(T0 + 9_000, always)).toBe(0);
    expect(passive.isEjected(T0 + 10_000)).toBe(false);
    // the count restarted at the ejection: 3 fresh failures are needed again
    expect(passive.recordFailure(T0 + 10_000, always)).toBe(0);
    expect(passive.recordFailure(T0 + 10_000, always)).toBe(0);
    expect(passive.recordFailure(T0 + 10_000, always)).toBe(20_000);
  });

  test('mayEject=false prevents the ejection and is asked only at the threshold', () => {
    const passive = new PassiveHealth(passiveSpec());
    const asked: number[] = [];
    let allow = false;
    const mayEject = (): boolean => {
      asked.push(asked.length);
      return allow;
    };
    expect(passive.recordFailure(T0, mayEject)).toBe(0);
    expect(passive.recordFailure(T0, mayEject)).toBe(0);
    expect(asked).toHaveLength(0);
    expect(passive.recordFailure(T0, mayEject)).toBe(0);
    expect(asked).toHaveLength(1);
    expect(passive.isEjected(T0)).toBe(false);
    // still over the threshold: the next failure asks again, and ejects once allowed
    expect(passive.recordFailure(T0, mayEject)).toBe(0);
    expect(asked).toHaveLength(2);
    allow = true;
    expect(passive.recordFailure(T0, mayEject)).toBe(10_000);
    expect(passive.isEjected(T0)).toBe(true);
  });

  test('countsServerErrors mirrors count_5xx', () => {
    expect(new PassiveHealth(passiveSpec({ count5xx: true })).countsServerErrors).toBe(true);
    expect(new PassiveHealth(passiveSpec({ count5xx: false })).countsServerErrors).toBe(false);
  });
});

describe('PassiveHealth: back-off', () => {
  test('ejection length doubles on each repeat ejection and is capped at max_ejection_secs', () => {
    // ejection 10 s, max 35 s: 10, 20, 35 (not 40), 35
    const passive = new PassiveHealth(passiveSpec());
    let now = T0;
    const lengths: number[] = [];
    for (let i = 0; i < 5; i++) {
      const length = failUntilEjected(passive, now);
      lengths.push(length);
      now += length; // fails again the moment it is back
    }
    expect(lengths).toEqual([10_000, 20_000, 35_000, 35_000, 35_000]);
  });

  test('max_ejection_secs below ejection_secs caps the first ejection too', () => {
    const passive = new PassiveHealth(passiveSpec({ ejectionSecs: 30, maxEjectionSecs: 5 }));
    expect(failUntilEjected(passive, T0)).toBe(5_000);
  });

  test.each<[string, number, number]>([
    // name, success this long after the ejection ended, next ejection length
    ['a success a full ejection_secs after the end resets the back-off', 10_000, 10_000],
    ['later still also resets', 60_000, 10_000],
    ['a success just short of it does not', 9_999, 20_000],
    ['a success right at the end does not', 0, 20_000],
  ])('%s', (_name, successAfter, nextLength) => {
    const passive = new PassiveHealth(passiveSpec());
    const end = T0 + failUntilEjected(passive, T0);
    passive.recordSuccess(end + successAfter);
    expect(failUntilEjected(passive, end + successAfter)).toBe(nextLength);
  });

  test('the back-off resets after a clean period even from the cap', () => {
    const passive = new PassiveHealth(passiveSpec());
    let now = T0;
    for (let i = 0; i < 4; i++) now += failUntilEjected(passive, now);
    passive.recordSuccess(now + 10_000);
    expect(failUntilEjected(passive, now + 10_000)).toBe(10_000);
  });

  test('a success during the ejection (a request from before it) resets neither the back-off nor the ejection', () => {
    const passive = new PassiveHealth(passiveSpec());
    failUntilEjected(passive, T0);
    passive.recordSuccess(T0 + 5_000);
    expect(passive.isEjected(T0 + 5_000)).toBe(true);
    expect(failUntilEjected(passive, T0 + 10_000)).toBe(20_000);
  });
});
