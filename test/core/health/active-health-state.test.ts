import { ActiveHealthState, HealthTransition } from '../../../src/core/health/active-health-state';

const U = 'became_unhealthy';
const H = 'became_healthy';

/** `+` a passed probe, `-` a failed one. */
function run(state: ActiveHealthState, results: string): HealthTransition[] {
  return [...results].map((r) => state.record(r === '+'));
}

describe('ActiveHealthState', () => {
  test('before any result the backend counts as healthy', () => {
    const state = new ActiveHealthState(3, 2);
    expect(state.healthy).toBe(true);
    expect(state.hasResult).toBe(false);
  });

  test.each<[string, number, number, string, HealthTransition[], boolean]>([
    // name, unhealthy_threshold, healthy_threshold, results, transitions, healthy after
    ['first pass sets healthy, no transition', 3, 2, '+', [null], true],
    ['first failure sets unhealthy at once', 3, 2, '-', [U], false],
    ['first failure ignores a threshold of 5', 5, 5, '-', [U], false],
    ['3 failures after a pass flip to unhealthy on the 3rd', 3, 2, '+---', [null, null, null, U], false],
    ['2 failures are not enough', 3, 2, '+--', [null, null, null], true],
    ['a pass interrupts the failure streak, which restarts', 3, 2, '+--+--', [null, null, null, null, null, null], true],
    ['after the interruption 3 more failures are needed', 3, 2, '+--+---', [null, null, null, null, null, null, U], false],
    ['2 passes after a failed start flip to healthy', 3, 2, '-++', [U, null, H], true],
    ['a failure interrupts the pass streak', 3, 2, '-+-+', [U, null, null, null], false],
    ['... and 2 passes in a row then recover', 3, 2, '-+-++', [U, null, null, null, H], true],
    ['thresholds of 1 flip on every change', 1, 1, '+-+-', [null, U, H, U], false],
    ['repeated same results never report again', 1, 1, '--++--', [U, null, H, null, U, null], false],
    ['the streak restarts after a flip', 2, 2, '+--+-++', [null, null, U, null, null, null, H], true],
    ['thresholds are independent', 1, 3, '+-+++', [null, U, null, null, H], true],
  ])('%s', (_name, unhealthy, healthy, results, transitions, healthyAfter) => {
    const state = new ActiveHealthState(unhealthy, healthy);
    expect(run(state, results)).toEqual(transitions);
    expect(state.healthy).toBe(healthyAfter);
    expect(state.hasResult).toBe(true);
  });
});
