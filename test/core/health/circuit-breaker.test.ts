import { BreakerTransition, CircuitBreaker } from '../../../src/core/health/circuit-breaker';
import { breakerSpec } from '../support/specs';

const T0 = 1_000_000;

/** A breaker opened at T0 (maxFailures 3, timeout 10 s, 2 half-open successes). */
function openedAt(now: number, spec = breakerSpec()): CircuitBreaker {
  const breaker = new CircuitBreaker(spec);
  for (let i = 0; i < spec.maxFailures; i++) breaker.recordFailure(now, breaker.beginRequest(now));
  expect(breaker.state(now)).toBe('open');
  return breaker;
}

describe('CircuitBreaker: closed', () => {
  test('starts closed and lets requests through; beginRequest is not a trial', () => {
    const breaker = new CircuitBreaker(breakerSpec());
    expect(breaker.state(T0)).toBe('closed');
    expect(breaker.allows(T0)).toBe(true);
    expect(breaker.beginRequest(T0)).toBe(false);
    expect(breaker.remainingOpenMs(T0)).toBe(0);
  });

  test.each<[string, number, string, BreakerTransition[], 'closed' | 'open']>([
    // name, max_failures, outcomes (F failure, S success), transitions, state after
    ['3 failures open it on the 3rd', 3, 'FFF', [null, null, 'opened'], 'open'],
    ['2 failures keep it closed', 3, 'FF', [null, null], 'closed'],
    ['a success resets the count', 3, 'FFSFF', [null, null, null, null, null], 'closed'],
    ['... after which 3 in a row still open it', 3, 'FFSFFF', [null, null, null, null, null, 'opened'], 'open'],
    ['max_failures 1 opens on the first failure', 1, 'F', ['opened'], 'open'],
    ['successes alone never transition', 1, 'SSS', [null, null, null], 'closed'],
  ])('%s', (_name, maxFailures, outcomes, transitions, after) => {
    const breaker = new CircuitBreaker(breakerSpec({ maxFailures }));
    const seen = [...outcomes].map((o) => {
      const trial = breaker.beginRequest(T0);
      return o === 'F' ? breaker.recordFailure(T0, trial) : breaker.recordSuccess(trial);
    });
    expect(seen).toEqual(transitions);
    expect(breaker.state(T0)).toBe(after);
  });
});

describe('CircuitBreaker: open', () => {
  test('refuses until timeout_secs have passed, then is half-open', () => {
    const breaker = openedAt(T0);
    for (const at of [T0, T0 + 1, T0 + 9_999]) {
      expect(breaker.allows(at)).toBe(false);
      expect(breaker.state(at)).toBe('open');
    }
    expect(breaker.remainingOpenMs(T0)).toBe(10_000);
    expect(breaker.remainingOpenMs(T0 + 2_500)).toBe(7_500);
    expect(breaker.remainingOpenMs(T0 + 10_000)).toBe(0);
    expect(breaker.remainingOpenMs(T0 + 99_999)).toBe(0);
    expect(breaker.state(T0 + 10_000)).toBe('half_open');
    expect(breaker.allows(T0 + 10_000)).toBe(true);
  });

  test('outcomes of requests begun before it opened change nothing', () => {
    const breaker = new CircuitBreaker(breakerSpec());
    const early = breaker.beginRequest(T0);
    const late = breaker.beginRequest(T0);
    for (let i = 0; i < 3; i++) breaker.recordFailure(T0, breaker.beginRequest(T0));
    expect(breaker.recordSuccess(early)).toBeNull();
    expect(breaker.recordFailure(T0 + 5_000, late)).toBeNull();
    // not extended by the late failure, not closed by the early success
    expect(breaker.state(T0 + 9_999)).toBe('open');
    expect(breaker.state(T0 + 10_000)).toBe('half_open');
  });

  test('fractional timeout_secs', () => {
    const breaker = openedAt(T0, breakerSpec({ timeoutSecs: 0.5 }));
    expect(breaker.allows(T0 + 499)).toBe(false);
    expect(breaker.allows(T0 + 500)).toBe(true);
  });
});

describe('CircuitBreaker: half-open', () => {
  const HALF = T0 + 10_000;

  test('at most half_open_successes trials run at once', () => {
    const breaker = openedAt(T0);
    expect(breaker.beginRequest(HALF)).toBe(true);
    expect(breaker.allows(HALF)).toBe(true);
    expect(breaker.beginRequest(HALF)).toBe(true);
    expect(breaker.allows(HALF)).toBe(false);
    expect(breaker.allows(HALF + 60_000)).toBe(false);
    expect(breaker.state(HALF)).toBe('half_open');
  });

  test('that many trial successes close it; the failure count starts afresh', () => {
    const breaker = openedAt(T0);
    const a = breaker.beginRequest(HALF);
    const b = breaker.beginRequest(HALF);
    expect(breaker.recordSuccess(a)).toBeNull();
    expect(breaker.state(HALF)).toBe('half_open');
    expect(breaker.recordSuccess(b)).toBe('closed');
    expect(breaker.state(HALF)).toBe('closed');
    expect(breaker.allows(HALF)).toBe(true);
    expect(breaker.beginRequest(HALF)).toBe(false);
    expect(breaker.recordFailure(HALF, false)).toBeNull();
    expect(breaker.recordFailure(HALF, false)).toBeNull();
    expect(breaker.recordFailure(HALF, false)).toBe('opened');
  });

  test('a finished trial frees its slot for the next one, and successes accumulate', () => {
    const breaker = openedAt(T0, breakerSpec({ halfOpenSuccesses: 3 }));
    const trials = [breaker.beginRequest(HALF), breaker.beginRequest(HALF), breaker.beginRequest(HALF)];
    expect(trials).toEqual([true, true, true]);
    expect(breaker.allows(HALF)).toBe(false);
    expect(breaker.recordSuccess(true)).toBeNull();
    expect(breaker.allows(HALF)).toBe(true);
    expect(breaker.beginRequest(HALF)).toBe(true);
    expect(breaker.recordSuccess(true)).toBeNull();
    expect(breaker.recordSuccess(true)).toBe('closed');
  });

  test('one trial failure reopens it for a full timeout from that moment', () => {
    const breaker = openedAt(T0);
    const trial = breaker.beginRequest(HALF);
    breaker.beginRequest(HALF);
    expect(breaker.recordFailure(HALF + 3_000, trial)).toBe('opened');
    expect(breaker.state(HALF + 3_000)).toBe('open');
    expect(breaker.remainingOpenMs(HALF + 3_000)).toBe(10_000);
    expect(breaker.allows(HALF + 12_999)).toBe(false);
    expect(breaker.allows(HALF + 13_000)).toBe(true);
    // the other trial's success belongs to the old half-open period: it does not close it
    expect(breaker.recordSuccess(true)).toBeNull();
    expect(breaker.state(HALF + 12_999)).toBe('open');
  });

  test('a success before the reopening does not count towards the next half-open period', () => {
    const breaker = openedAt(T0);
    expect(breaker.recordSuccess(breaker.beginRequest(HALF))).toBeNull();
    expect(breaker.recordFailure(HALF, breaker.beginRequest(HALF))).toBe('opened');
    const next = HALF + 10_000;
    expect(breaker.recordSuccess(breaker.beginRequest(next))).toBeNull();
    expect(breaker.state(next)).toBe('half_open');
    expect(breaker.recordSuccess(breaker.beginRequest(next))).toBe('closed');
  });

  test('non-trial outcomes during half-open do not count', () => {
    const breaker = openedAt(T0);
    const trial = breaker.beginRequest(HALF);
    expect(breaker.recordFailure(HALF, false)).toBeNull();
    expect(breaker.state(HALF)).toBe('half_open');
    expect(breaker.recordSuccess(false)).toBeNull();
    expect(breaker.recordSuccess(false)).toBeNull();
    expect(breaker.state(HALF)).toBe('half_open');
    // the non-trial success did not free a slot either: one trial running, one free
    expect(breaker.beginRequest(HALF)).toBe(true);
    expect(breaker.allows(HALF)).toBe(false);
    expect(breaker.recordSuccess(trial)).toBeNull();
    expect(breaker.recordSuccess(true)).toBe('closed');
  });

  test('releaseRequest frees a trial slot without counting as success or failure', () => {
    const breaker = openedAt(T0);
    breaker.beginRequest(HALF);
    breaker.beginRequest(HALF);
    expect(breaker.allows(HALF)).toBe(false);
    breaker.releaseRequest(false);
    expect(breaker.allows(HALF)).toBe(false);
    breaker.releaseRequest(true);
    expect(breaker.allows(HALF)).toBe(true);
    expect(breaker.state(HALF)).toBe('half_open');
    expect(breaker.beginRequest(HALF)).toBe(true);
    expect(breaker.allows(HALF)).toBe(false);
    expect(breaker.recordSuccess(true)).toBeNull();
    expect(breaker.recordSuccess(true)).toBe('closed');
  });

  test('releaseRequest when closed or open changes nothing', () => {
    const closed = new CircuitBreaker(breakerSpec({ maxFailures: 2 }));
    closed.recordFailure(T0, false);
    closed.releaseRequest(true);
    expect(closed.recordFailure(T0, false)).toBe('opened');
    const open = openedAt(T0);
    open.releaseRequest(true);
    expect(open.state(T0)).toBe('open');
  });
});
