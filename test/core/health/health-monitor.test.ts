import type { HealthCheckSpec } from '../../../src/config/model';
import { parseUpstreamTarget } from '../../../src/core/forwarding/upstream-target';
import { HealthMonitor, statusMatches } from '../../../src/core/health/health-monitor';
import type { ProbeResult } from '../../../src/ports/health-probe';
import type { RandomSource } from '../../../src/ports/random';
import { ScriptedRandom } from '../balancing/fakes';
import { FakeClock } from '../support/fake-clock';
import { flushMicrotasks } from '../support/microtasks';
import { RecordingBackendEvents, ScriptedProbe } from '../support/route-builders';
import { SeededRandom } from '../support/seeded-random';
import { healthCheckSpec } from '../support/specs';

const OK: ProbeResult = { kind: 'response', status: 200, body: 'ok' };
const DOWN: ProbeResult = { kind: 'failed', detail: 'connect ECONNREFUSED' };

function setup(overrides: Partial<HealthCheckSpec> = {}, random: RandomSource = new ScriptedRandom([])) {
  const clock = new FakeClock();
  const probe = new ScriptedProbe();
  const events = new RecordingBackendEvents();
  const target = parseUpstreamTarget('http://b1:8080/base');
  const monitor = new HealthMonitor(target, '/base/health', healthCheckSpec(overrides), { probe, clock, random, events });
  /** Answers the pending probe and lets the monitor handle the result. */
  const answer = async (result: ProbeResult): Promise<void> => {
    expect(probe.answer(result)).toBe(1);
    await flushMicrotasks();
  };
  return { clock, probe, events, monitor, answer };
}

describe('HealthMonitor: schedule', () => {
  test('start() sends the first probe at once, with the target and spec in the request', () => {
    const { probe, monitor } = setup();
    expect(probe.calls).toHaveLength(0);
    monitor.start();
    expect(probe.calls.map((c) => c.request)).toEqual([
      { origin: 'http://b1:8080', tls: null, path: '/base/health', method: 'GET', authority: 'b1:8080', timeoutMs: 2000, maxBodyBytes: 0 },
    ]);
    monitor.start();
    expect(probe.calls).toHaveLength(1);
  });

  test('firstResult() resolves once the first probe is answered', async () => {
    const { monitor, answer } = setup();
    let resolved = false;
    void monitor.firstResult().then(() => (resolved = true));
    monitor.start();
    await flushMicrotasks();
    expect(resolved).toBe(false);
    await answer(OK);
    expect(resolved).toBe(true);
    await expect(monitor.firstResult()).resolves.toBeUndefined();
  });

  test('the next probe goes out intervalSecs after the answer (no jitter: random never asked)', async () => {
    const random = new ScriptedRandom([]);
    const { clock, probe, monitor, answer } = setup({ intervalSecs: 10 }, random);
    monitor.start();
    clock.advance(700); // the answer takes 0.7 s
    await answer(OK);
    clock.advance(9_999);
    expect(probe.calls).toHaveLength(0);
    clock.advance(1);
    expect(probe.calls).toHaveLength(1);
    clock.advance(60_000); // no second probe while one is outstanding (its timeout is 2 s)
    expect(probe.calls).toHaveLength(1);
    expect(random.requestedMaxima).toEqual([]);
  });

  test('each wait is the interval minus jitter drawn from the RandomSource', async () => {
    // jitter 0.5 of 10 s: nextInt(5001) ms is taken off each wait
    const random = new ScriptedRandom([1234, 0, 5000]);
    const { clock, probe, monitor, answer } = setup({ intervalSecs: 10, jitter: 0.5 }, random);
    monitor.start();
    const waits: number[] = [];
    for (let i = 0; i < 3; i++) {
      await answer(OK);
      let waited = 0;
      while (probe.calls.length === 0) {
        clock.advance(1);
        waited++;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([8766, 10000, 5000]);
    expect(random.requestedMaxima).toEqual([5001, 5001, 5001]);
  });

  test('with a seeded source the waits follow its sequence exactly', async () => {
    const expected = new SeededRandom(7);
    const { clock, probe, monitor, answer } = setup({ intervalSecs: 2, jitter: 0.25 }, new SeededRandom(7));
    monitor.start();
    for (let i = 0; i < 5; i++) {
      await answer(OK);
      const wait = 2000 - expected.nextInt(501);
      clock.advance(wait - 1);
      expect(probe.calls).toHaveLength(0);
      clock.advance(1);
      expect(probe.calls).toHaveLength(1);
    }
  });
});

describe('HealthMonitor: judging a probe', () => {
  const ranges = [
    { from: 200, to: 204 },
    { from: 301, to: 302 },
  ];

  test.each<[number, boolean]>([
    [200, true],
    [204, true],
    [205, false],
    [199, false],
    [301, true],
    [302, true],
    [303, false],
    [404, false],
    [500, false],
  ])('expected_status 200-204,301-302: status %i passes=%p', async (status, passes) => {
    const { monitor, events, answer } = setup({ expectedStatus: ranges, unhealthyThreshold: 1 });
    monitor.start();
    await answer({ kind: 'response', status, body: '' });
    expect(monitor.healthy).toBe(passes);
    expect(monitor.reason).toBe(passes ? 'probe passed' : `status ${status} not in expected_status`);
    expect(events.log).toEqual(passes ? [] : ['http://b1:8080/base unhealthy']);
  });

  test.each<[number, boolean]>([
    [200, true],
    [399, true],
    [400, false],
    [199, false],
  ])('statusMatches default 200-399: %i -> %p', (status, matches) => {
    expect(statusMatches(status, [{ from: 200, to: 399 }])).toBe(matches);
  });

  test('statusMatches with no ranges matches nothing', () => {
    expect(statusMatches(200, [])).toBe(false);
  });

  test.each<['GET' | 'HEAD', string | null, number]>([
    ['GET', null, 0],
    ['GET', 'ok', 65536],
    ['HEAD', null, 0],
    ['HEAD', 'ok', 0],
  ])('%s with expected_body %p asks for %i body bytes', (method, expectedBody, maxBodyBytes) => {
    const { probe, monitor } = setup({ method, expectedBody });
    monitor.start();
    expect(probe.calls[0].request).toMatchObject({ method, maxBodyBytes });
  });

  test.each<['GET' | 'HEAD', string | null, string, number, boolean]>([
    ['GET', 'ok', 'status: ok', 200, true],
    ['GET', 'ok', 'OK', 200, false],
    ['GET', 'ok', '', 200, false],
    ['GET', 'ok', 'ok', 503, false],
    ['GET', null, 'anything', 200, true],
    ['HEAD', 'ok', '', 200, true], // a HEAD answer has no body: expected_body is not checked
    ['HEAD', 'ok', '', 500, false],
  ])('%s expected_body %p, body %p, status %i: passes=%p', async (method, expectedBody, body, status, passes) => {
    const { monitor, answer } = setup({ method, expectedBody, unhealthyThreshold: 1 });
    monitor.start();
    await answer({ kind: 'response', status, body });
    expect(monitor.healthy).toBe(passes);
    if (!passes && status < 400) expect(monitor.reason).toBe('body does not contain expected_body');
  });

  test('a failed probe counts as a failure, with its detail as the reason', async () => {
    const { monitor, answer } = setup();
    expect(monitor.reason).toBe('not probed yet');
    monitor.start();
    await answer(DOWN);
    expect(monitor.healthy).toBe(false);
    expect(monitor.reason).toBe('connect ECONNREFUSED');
  });
});

describe('HealthMonitor: timeouts', () => {
  test('a probe that never answers fails at timeout_secs; its late answer is ignored', async () => {
    const { clock, probe, events, monitor } = setup({ timeoutSecs: 2, intervalSecs: 10 });
    let resolved = false;
    void monitor.firstResult().then(() => (resolved = true));
    monitor.start();
    const [hung] = probe.calls.splice(0);
    clock.advance(1_999);
    await flushMicrotasks();
    expect(resolved).toBe(false);
    expect(monitor.healthy).toBe(true);
    clock.advance(1);
    await flushMicrotasks();
    expect(resolved).toBe(true);
    expect(monitor.healthy).toBe(false);
    expect(monitor.reason).toBe('no answer within 2000 ms');
    expect(events.log).toEqual(['http://b1:8080/base unhealthy']);

    hung.resolve(OK);
    await flushMicrotasks();
    expect(monitor.healthy).toBe(false);
    expect(events.log).toEqual(['http://b1:8080/base unhealthy']);
    // the schedule counts from the timeout, not from the late answer
    clock.advance(9_999);
    expect(probe.calls).toHaveLength(0);
    clock.advance(1);
    expect(probe.calls).toHaveLength(1);
  });

  test('an answer in time cancels the deadline timer', async () => {
    const { clock, monitor, answer } = setup();
    monitor.start();
    expect(clock.pendingTimers).toBe(1);
    await answer(OK);
    expect(clock.pendingTimers).toBe(1); // only the next probe
    clock.advance(9_999);
    expect(monitor.healthy).toBe(true);
  });
});

describe('HealthMonitor: stop', () => {
  test('stop() cancels the schedule', async () => {
    const { clock, probe, monitor, answer } = setup();
    monitor.start();
    await answer(OK);
    monitor.stop();
    expect(clock.pendingTimers).toBe(0);
    clock.advance(3_600_000);
    expect(probe.calls).toHaveLength(0);
  });

  test('stop() during a probe ignores its result and schedules nothing', async () => {
    const { clock, probe, events, monitor } = setup({ unhealthyThreshold: 1 });
    monitor.start();
    monitor.stop();
    probe.answer(DOWN);
    await flushMicrotasks();
    expect(monitor.healthy).toBe(true);
    expect(monitor.reason).toBe('not probed yet');
    expect(events.log).toEqual([]);
    clock.advance(3_600_000);
    await flushMicrotasks();
    expect(probe.calls).toHaveLength(0);
    expect(events.log).toEqual([]);
  });

  test('stop() wakes firstResult() waiters; start() after stop() does nothing', async () => {
    const { probe, monitor } = setup();
    const waiting = monitor.firstResult();
    monitor.stop();
    await expect(waiting).resolves.toBeUndefined();
    await expect(monitor.firstResult()).resolves.toBeUndefined();
    monitor.start();
    expect(probe.calls).toHaveLength(0);
  });
});

describe('HealthMonitor: transitions', () => {
  test('each transition is reported exactly once, as the threshold is reached', async () => {
    const { clock, events, monitor, answer } = setup({ unhealthyThreshold: 2, healthyThreshold: 3 });
    monitor.start();
    const script: [ProbeResult, boolean][] = [
      [OK, true],
      [DOWN, true],
      [DOWN, false], // 2nd failure in a row
      [DOWN, false],
      [OK, false],
      [DOWN, false], // interrupts the recovery
      [OK, false],
      [OK, false],
      [OK, true], // 3rd pass in a row
      [OK, true],
    ];
    const seen: boolean[] = [];
    const logs: number[] = [];
    for (const [result] of script) {
      await answer(result);
      seen.push(monitor.healthy);
      logs.push(events.log.length);
      clock.advance(10_000);
    }
    expect(seen).toEqual(script.map(([, healthy]) => healthy));
    expect(logs).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 2, 2]);
    expect(events.log).toEqual(['http://b1:8080/base unhealthy', 'http://b1:8080/base healthy']);
  });

  test('a backend failing from the start is reported unhealthy after its first probe', async () => {
    const { events, monitor, answer } = setup({ unhealthyThreshold: 5 });
    monitor.start();
    await answer(DOWN);
    expect(monitor.healthy).toBe(false);
    expect(events.log).toEqual(['http://b1:8080/base unhealthy']);
  });

  test('intervalMs is interval_secs in ms', () => {
    expect(setup({ intervalSecs: 2.5 }).monitor.intervalMs).toBe(2_500);
  });
});
