import { BackendLoad, PoolMember } from '../../../src/core/backends/pool-member';
import { AttemptOutcome, RoutePool } from '../../../src/core/backends/route-pool';
import { createBalancer } from '../../../src/core/balancing/balancer';
import { parseUpstreamTarget } from '../../../src/core/forwarding/upstream-target';
import { CircuitBreaker } from '../../../src/core/health/circuit-breaker';
import type { HealthMonitor } from '../../../src/core/health/health-monitor';
import { PassiveHealth } from '../../../src/core/health/passive-health';
import { ScriptedRandom } from '../balancing/fakes';
import { RecordingBackendEvents } from '../support/route-builders';
import { breakerSpec, passiveSpec } from '../support/specs';

const T0 = 1_000_000;

/** Stands in for a HealthMonitor: the pool reads only `healthy` and `intervalMs`. */
function monitorStub(healthy: boolean, intervalMs = 10_000): HealthMonitor {
  return { healthy, intervalMs } as unknown as HealthMonitor;
}

type MemberState = 'up' | 'monitor_down' | 'ejected' | 'breaker_open' | 'half_open_full';

/** A member put into `state` at T0; every member has a monitor, passive health and a breaker. */
function member(index: number, state: MemberState = 'up', load = new BackendLoad()): PoolMember {
  const passive = new PassiveHealth(passiveSpec({ consecutiveFailures: 1, ejectionSecs: 5 }));
  const breaker = new CircuitBreaker(breakerSpec({ maxFailures: 1, timeoutSecs: 20, halfOpenSuccesses: 1 }));
  if (state === 'ejected') passive.recordFailure(T0, () => true);
  if (state === 'breaker_open') breaker.recordFailure(T0, false);
  if (state === 'half_open_full') {
    breaker.recordFailure(T0 - 20_000, false);
    expect(breaker.beginRequest(T0)).toBe(true);
  }
  const target = parseUpstreamTarget(`http://b${index}:80`);
  return new PoolMember(target, 1, load, monitorStub(state !== 'monitor_down'), passive, breaker);
}

function pool(members: PoolMember[], minHealthyPercent = 0, events = new RecordingBackendEvents()): RoutePool {
  const balancer = createBalancer(
    'round_robin',
    members.map((m) => ({ id: m.target.url, weight: 1 })),
    new ScriptedRandom([]),
  );
  return new RoutePool('/r', members, balancer, minHealthyPercent, events);
}

function availability(p: RoutePool): boolean[] {
  return p.members.map((_, i) => p.isAvailable(i));
}

describe('RoutePool: availability', () => {
  test.each<[MemberState, boolean]>([
    ['up', true],
    ['monitor_down', false],
    ['ejected', false],
    ['breaker_open', false],
    ['half_open_full', false],
  ])('a member %s is available=%p', (state, available) => {
    const p = pool([member(0, 'up'), member(1, state)]);
    p.select(null, T0, null);
    expect(availability(p)).toEqual([true, available]);
  });

  test('plain members without monitor, passive or breaker are always available', () => {
    const bare = new PoolMember(parseUpstreamTarget('http://x:1'), 1, new BackendLoad(), null, null, null);
    const p = pool([bare]);
    expect(p.select(null, T0, null)).toBe(0);
    expect(bare.isHealthy(T0)).toBe(true);
    expect(bare.breakerAllows(T0)).toBe(true);
    expect(bare.msUntilPossiblyAvailable(T0)).toBe(0);
  });

  test('select skips unavailable members and returns -1 when none is left', () => {
    const p = pool([member(0, 'monitor_down'), member(1, 'up'), member(2, 'ejected')]);
    expect([p.select(null, T0, null), p.select(null, T0, null)]).toEqual([1, 1]);
    const none = pool([member(0, 'monitor_down'), member(1, 'breaker_open'), member(2, 'ejected')]);
    expect(none.select(null, T0, null)).toBe(-1);
  });

  test('an ejection and an open breaker end with time', () => {
    const p = pool([member(0, 'ejected'), member(1, 'breaker_open')]);
    expect(p.select(null, T0 + 4_999, null)).toBe(-1);
    p.select(null, T0 + 5_000, null);
    expect(availability(p)).toEqual([true, false]);
    p.select(null, T0 + 20_000, null);
    expect(availability(p)).toEqual([true, true]);
  });
});

describe('RoutePool: panic mode (min_healthy_percent)', () => {
  test.each<[string, number, MemberState[], boolean[]]>([
    // name, min_healthy_percent, member states, availability after select
    ['off: unhealthy members stay out', 0, ['up', 'monitor_down', 'monitor_down', 'monitor_down'], [true, false, false, false]],
    ['1 of 4 healthy < 50%: health is ignored', 50, ['up', 'monitor_down', 'ejected', 'monitor_down'], [true, true, true, true]],
    ['2 of 4 healthy = 50%: no panic', 50, ['up', 'up', 'monitor_down', 'ejected'], [true, true, false, false]],
    ['3 of 4 healthy < 100%: panic', 100, ['up', 'up', 'up', 'monitor_down'], [true, true, true, true]],
    ['none healthy: all used', 1, ['monitor_down', 'ejected'], [true, true]],
    ['panic still respects an open breaker', 50, ['up', 'monitor_down', 'breaker_open', 'monitor_down'], [true, true, false, true]],
    ['a full half-open breaker too', 50, ['half_open_full', 'monitor_down', 'monitor_down', 'monitor_down'], [false, true, true, true]],
  ])('%s', (_name, minHealthy, states, expected) => {
    const p = pool(states.map((s, i) => member(i, s)), minHealthy);
    expect(p.select(null, T0, null)).not.toBe(-1);
    expect(availability(p)).toEqual(expected);
  });

  test('panic with every breaker open: nothing is available', () => {
    const p = pool([member(0, 'breaker_open'), member(1, 'breaker_open')], 100);
    expect(p.select(null, T0, null)).toBe(-1);
  });

  test('an open breaker counts as unhealthy for the threshold', () => {
    // 1 of 2 available (the other's breaker is open) = 50% < 60%: panic, but the breaker still holds
    const p = pool([member(0, 'up'), member(1, 'breaker_open')], 60);
    p.select(null, T0, null);
    expect(availability(p)).toEqual([true, false]);
  });
});

describe('RoutePool: tried members', () => {
  test.each<[string, MemberState[], number[], number[]]>([
    // name, states, tried, members select may return (3 picks)
    ['a tried member is avoided while another is available', ['up', 'up', 'up'], [0], [1, 2, 1]],
    ['several tried members are avoided', ['up', 'up', 'up'], [0, 1], [2, 2, 2]],
    ['the only available member is used again even if tried', ['up', 'monitor_down', 'ejected'], [0], [0, 0, 0]],
    ['all tried: used again', ['up', 'up'], [0, 1], [0, 1, 0]],
    ['tried and unavailable members are both avoided', ['up', 'monitor_down', 'up'], [0], [2, 2, 2]],
  ])('%s', (_name, states, tried, expected) => {
    const p = pool(states.map((s, i) => member(i, s)));
    expect([0, 1, 2].map(() => p.select(null, T0, tried))).toEqual(expected);
  });

  test('tried does not stick: the next select without it sees everyone', () => {
    const p = pool([member(0), member(1)]);
    expect(p.select(null, T0, [0])).toBe(1);
    p.select(null, T0, null);
    expect(availability(p)).toEqual([true, true]);
  });
});

describe('RoutePool: begin/finish', () => {
  test('inFlight counts up on begin and down on finish, shared through BackendLoad', () => {
    const shared = new BackendLoad();
    const a = pool([member(0, 'up', shared), member(1)]);
    const b = pool([member(0, 'up', shared)]);
    a.begin(0, T0);
    a.begin(0, T0);
    b.begin(0, T0);
    a.begin(1, T0);
    expect([a.inFlight(0), a.inFlight(1), b.inFlight(0)]).toEqual([3, 1, 3]);
    a.finish(0, false, AttemptOutcome.Success, T0);
    b.finish(0, false, AttemptOutcome.TransportFailure, T0);
    a.finish(1, false, AttemptOutcome.Neutral, T0);
    expect([a.inFlight(0), a.inFlight(1), b.inFlight(0)]).toEqual([1, 0, 1]);
    a.finish(0, false, AttemptOutcome.ServerError, T0);
    expect(shared.inFlight).toBe(0);
  });

  test('begin reports a half-open trial', () => {
    const m = member(0);
    const p = pool([m, member(1)]);
    expect(p.begin(0, T0)).toBe(false);
    p.finish(0, false, AttemptOutcome.TransportFailure, T0); // opens the breaker (max_failures 1)
    expect(p.begin(0, T0 + 20_000)).toBe(true);
  });

  test.each<[string, AttemptOutcome, boolean, boolean, boolean]>([
    // name, outcome, count_5xx, passive ejects (consecutive_failures 1), breaker opens (max_failures 1)
    ['success', AttemptOutcome.Success, false, false, false],
    ['transport failure', AttemptOutcome.TransportFailure, false, true, true],
    ['server error, 5xx not counted by passive', AttemptOutcome.ServerError, false, false, true],
    ['server error, count_5xx', AttemptOutcome.ServerError, true, true, true],
    ['neutral', AttemptOutcome.Neutral, true, false, false],
  ])('%s: ejected=%p (count_5xx %p), breaker opened=%p', (_name, outcome, count5xx, ejects, opens) => {
    const events = new RecordingBackendEvents();
    const target = parseUpstreamTarget('http://b0:80');
    const passive = new PassiveHealth(passiveSpec({ consecutiveFailures: 1, ejectionSecs: 5, count5xx }));
    const breaker = new CircuitBreaker(breakerSpec({ maxFailures: 1 }));
    const m = new PoolMember(target, 1, new BackendLoad(), null, passive, breaker);
    const p = pool([m, member(1)], 0, events);
    p.finish(0, p.begin(0, T0), outcome, T0);
    expect(passive.isEjected(T0)).toBe(ejects);
    expect(breaker.state(T0)).toBe(opens ? 'open' : 'closed');
    expect(events.log).toEqual([
      ...(ejects ? ['/r http://b0:80 ejected 5000ms'] : []),
      ...(opens ? ['/r http://b0:80 breaker open'] : []),
    ]);
  });

  test('a 5xx that passive health does not count resets its failure streak', () => {
    const target = parseUpstreamTarget('http://b0:80');
    const passive = new PassiveHealth(passiveSpec({ consecutiveFailures: 2 }));
    const p = pool([new PoolMember(target, 1, new BackendLoad(), null, passive, null), member(1)]);
    p.finish(0, p.begin(0, T0), AttemptOutcome.TransportFailure, T0);
    p.finish(0, p.begin(0, T0), AttemptOutcome.ServerError, T0);
    p.finish(0, p.begin(0, T0), AttemptOutcome.TransportFailure, T0);
    expect(passive.isEjected(T0)).toBe(false);
    p.finish(0, p.begin(0, T0), AttemptOutcome.TransportFailure, T0);
    expect(passive.isEjected(T0)).toBe(true);
  });

  test('the breaker reports closing after its half-open trials succeed', () => {
    const events = new RecordingBackendEvents();
    const p = pool([member(0), member(1)], 0, events);
    p.finish(0, p.begin(0, T0), AttemptOutcome.TransportFailure, T0);
    const later = T0 + 20_000;
    expect(p.select(null, later, [1])).toBe(0);
    const trial = p.begin(0, later);
    p.finish(0, trial, AttemptOutcome.Success, later);
    expect(events.log).toEqual([
      '/r http://b0:80 ejected 5000ms',
      '/r http://b0:80 breaker open',
      '/r http://b0:80 breaker closed',
    ]);
  });

  test('a neutral outcome frees the half-open trial slot', () => {
    const p = pool([member(0, 'breaker_open')]);
    const later = T0 + 20_000;
    expect(p.select(null, later, null)).toBe(0);
    const trial = p.begin(0, later);
    expect(trial).toBe(true);
    expect(p.select(null, later, null)).toBe(-1);
    p.finish(0, trial, AttemptOutcome.Neutral, later);
    expect(p.inFlight(0)).toBe(0);
    expect(p.select(null, later, null)).toBe(0);
  });
});

describe('RoutePool: passive ejection keeps the last available backend', () => {
  test.each<[string, MemberState, boolean]>([
    ['another backend is up: ejected', 'up', true],
    ['the other is down by its monitor: kept', 'monitor_down', false],
    ['the other is ejected: kept', 'ejected', false],
    ['the other has an open breaker: kept', 'breaker_open', false],
  ])('%s', (_name, otherState, ejected) => {
    const events = new RecordingBackendEvents();
    const p = pool([member(0), member(1, otherState)], 0, events);
    p.finish(0, p.begin(0, T0), AttemptOutcome.TransportFailure, T0);
    expect(p.members[0].isHealthy(T0)).toBe(!ejected);
    expect(events.log.filter((e) => e.includes('ejected'))).toEqual(ejected ? ['/r http://b0:80 ejected 5000ms'] : []);
  });

  test('a single-backend route is never ejected', () => {
    const p = pool([member(0)]);
    for (let i = 0; i < 10; i++) {
      const index = p.select(null, T0 + i * 1_000_000, null);
      p.finish(index, p.begin(index, T0), AttemptOutcome.TransportFailure, T0 + i * 1_000_000);
    }
    expect(p.members[0].passive!.isEjected(T0 + 9_000_000)).toBe(false);
  });
});

describe('RoutePool: retryAfterSecs', () => {
  test.each<[string, MemberState[], number, number]>([
    // name, states, seconds after T0, expected Retry-After
    ['open breaker: its remaining time', ['breaker_open'], 0, 20],
    ['open breaker, 2.5 s later: rounded up', ['breaker_open'], 2_500, 18],
    ['ejection: its remaining time', ['ejected'], 0, 5],
    ['ejection with 1 ms left: at least 1', ['ejected'], 4_999, 1],
    ['monitor down: one probe interval', ['monitor_down'], 0, 10],
    ['the soonest member wins', ['breaker_open', 'monitor_down', 'ejected'], 0, 5],
    ['full half-open breaker: 1', ['half_open_full'], 0, 1],
  ])('%s', (_name, states, after, expected) => {
    const p = pool(states.map((s, i) => member(i, s)));
    expect(p.retryAfterSecs(T0 + after)).toBe(expected);
  });

  test('capped at 3600', () => {
    const breaker = new CircuitBreaker(breakerSpec({ maxFailures: 1, timeoutSecs: 7_200 }));
    breaker.recordFailure(T0, false);
    const m = new PoolMember(parseUpstreamTarget('http://x:1'), 1, new BackendLoad(), null, null, breaker);
    expect(pool([m]).retryAfterSecs(T0)).toBe(3_600);
    expect(pool([m]).retryAfterSecs(T0 + 7_200_000 - 3_600_500)).toBe(3_600);
    expect(pool([m]).retryAfterSecs(T0 + 7_200_000 - 3_599_500)).toBe(3_600);
    expect(pool([m]).retryAfterSecs(T0 + 7_200_000 - 3_598_500)).toBe(3_599);
  });

  test('a member that is unavailable for several reasons waits for the longest', () => {
    const passive = new PassiveHealth(passiveSpec({ consecutiveFailures: 1, ejectionSecs: 5 }));
    passive.recordFailure(T0, () => true);
    const breaker = new CircuitBreaker(breakerSpec({ maxFailures: 1, timeoutSecs: 30 }));
    breaker.recordFailure(T0, false);
    const m = new PoolMember(parseUpstreamTarget('http://x:1'), 1, new BackendLoad(), monitorStub(false, 12_000), passive, breaker);
    expect(m.msUntilPossiblyAvailable(T0)).toBe(30_000);
    expect(pool([m]).retryAfterSecs(T0)).toBe(30);
  });

  test('a pool without members answers 1', () => {
    expect(pool([]).retryAfterSecs(T0)).toBe(1);
    expect(pool([]).select(null, T0, null)).toBe(-1);
  });
});
