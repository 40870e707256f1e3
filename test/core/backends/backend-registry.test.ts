import type { BackendTarget, LoadBalanceRoute, RouteConfig } from '../../../src/config/model';
import { BackendRegistry } from '../../../src/core/backends/backend-registry';
import type { PoolMember } from '../../../src/core/backends/pool-member';
import { AttemptOutcome, RoutePool } from '../../../src/core/backends/route-pool';
import { CompiledConfig, compileConfig, ForwardRoute } from '../../../src/core/compiled-route';
import { parseUpstreamTarget } from '../../../src/core/forwarding/upstream-target';
import type { ProbeResult } from '../../../src/ports/health-probe';
import { FakeClock } from '../support/fake-clock';
import { flushMicrotasks } from '../support/microtasks';
import { backend, compileHarness, config, loadBalance, proxy, RecordingBackendEvents, ScriptedProbe } from '../support/route-builders';
import { SeededRandom } from '../support/seeded-random';
import { breakerSpec, healthCheckSpec, passiveSpec } from '../support/specs';
import { MemoryRateLimitStore } from '../../../src/adapters/memory/memory-rate-limit-store';

const OK: ProbeResult = { kind: 'response', status: 200, body: '' };
const DOWN: ProbeResult = { kind: 'failed', detail: 'refused' };

/** Everything stateful of a route, in member order. */
function stateOf(compiled: CompiledConfig, path = '/api') {
  const route = compiled.routes.match('example.com', path) as ForwardRoute;
  expect(route.kind).toBe('forward');
  const byUrl = (pick: (m: PoolMember) => unknown) => Object.fromEntries(route.pool.members.map((m) => [m.target.url, pick(m)]));
  return {
    pool: route.pool,
    load: byUrl((m) => m.load),
    monitor: byUrl((m) => m.monitor),
    passive: byUrl((m) => m.passive),
    breaker: byUrl((m) => m.breaker),
    // private, but its identity is exactly what carry-over promises
    balancer: route.pool['balancer'],
  };
}

const resilient: Partial<LoadBalanceRoute> = {
  healthCheck: healthCheckSpec(),
  passiveHealth: passiveSpec(),
  circuitBreaker: breakerSpec(),
};

function api(targets: (string | BackendTarget)[] = ['http://a:1', 'http://b:1'], options: Partial<LoadBalanceRoute> = {}, key = '/api'): LoadBalanceRoute {
  return loadBalance(key, targets, { ...resilient, ...options });
}

describe('BackendRegistry: carrying state over a reload', () => {
  test('an identical config reuses every state object', () => {
    const h = compileHarness();
    const first = stateOf(h.compile(config([api()])));
    const second = stateOf(h.compile(config([api(), proxy('/other', 'http://c:1')])));
    for (const kind of ['load', 'monitor', 'passive', 'breaker'] as const) {
      for (const url of ['http://a:1', 'http://b:1']) {
        expect(second[kind][url]).not.toBeNull();
        expect(second[kind][url]).toBe(first[kind][url]);
      }
    }
    expect(second.balancer).toBe(first.balancer);
    expect(second.pool).not.toBe(first.pool); // the pool itself is per config
  });

  type Kind = 'load' | 'monitor' | 'passive' | 'breaker' | 'balancer';
  test.each<[string, Kind[], RouteConfig]>([
    // name, what is created anew for backend b (the rest is reused), the reloaded route (was api())
    ['breaker spec changed', ['breaker'], api(undefined, { circuitBreaker: breakerSpec({ maxFailures: 9 }) })],
    ['passive spec changed', ['passive'], api(undefined, { passiveHealth: passiveSpec({ ejectionSecs: 99 }) })],
    ['health spec changed', ['monitor'], api(undefined, { healthCheck: healthCheckSpec({ intervalSecs: 3 }) })],
    ['weight changed', ['balancer'], api(['http://a:1', backend('http://b:1', 5)])],
    ['strategy changed', ['balancer'], api(undefined, { strategy: 'least_connections' })],
    ['a target added', ['balancer'], api(['http://a:1', 'http://b:1', 'http://c:1'])],
    ['route key changed', ['passive', 'breaker', 'balancer'], api(undefined, {}, 'example.com/api')],
    ['timeouts changed: nothing', [], api(undefined, { timeoutSecs: 1, connectTimeoutSecs: 1 })],
  ])('%s -> new: %j', (_name, fresh, reloaded) => {
    const h = compileHarness();
    const before = stateOf(h.compile(config([api()])));
    const after = stateOf(h.compile(config([reloaded])));
    const url = 'http://b:1';
    const same = (kind: Kind) => (kind === 'balancer' ? after.balancer === before.balancer : after[kind][url] === before[kind][url]);
    for (const kind of ['load', 'monitor', 'passive', 'breaker', 'balancer'] as const) {
      expect([kind, same(kind)]).toEqual([kind, !fresh.includes(kind)]);
    }
  });

  test('a changed URL gets new state; the unchanged backend keeps its own', () => {
    const h = compileHarness();
    const before = stateOf(h.compile(config([api(['http://a:1', 'http://b:1'])])));
    const after = stateOf(h.compile(config([api(['http://a2:1', 'http://b:1'])])));
    for (const kind of ['load', 'monitor', 'passive', 'breaker'] as const) {
      expect(after[kind]['http://b:1']).toBe(before[kind]['http://b:1']);
      for (const old of Object.values(before[kind])) expect(after[kind]['http://a2:1']).not.toBe(old);
    }
    expect(after.balancer).not.toBe(before.balancer);
  });

  test('a changed health path gets a new monitor only', () => {
    const h = compileHarness();
    const before = stateOf(h.compile(config([api()])));
    const moved = { ...api(), targets: [backend('http://a:1'), { ...backend('http://b:1'), healthPath: '/ready' }] };
    const after = stateOf(h.compile(config([moved])));
    expect(after.monitor['http://b:1']).not.toBe(before.monitor['http://b:1']);
    expect(after.monitor['http://a:1']).toBe(before.monitor['http://a:1']);
    expect(after.load['http://b:1']).toBe(before.load['http://b:1']);
    expect(after.breaker['http://b:1']).toBe(before.breaker['http://b:1']);
  });

  test('routes sharing a backend share its load and monitor, not its passive health or breaker', () => {
    const h = compileHarness();
    const compiled = h.compile(config([api(['http://a:1'], {}, '/api'), api(['http://a:1'], {}, '/web')]));
    const one = stateOf(compiled, '/api');
    const two = stateOf(compiled, '/web');
    expect(two.load['http://a:1']).toBe(one.load['http://a:1']);
    expect(two.monitor['http://a:1']).toBe(one.monitor['http://a:1']);
    expect(two.passive['http://a:1']).not.toBe(one.passive['http://a:1']);
    expect(two.breaker['http://a:1']).not.toBe(one.breaker['http://a:1']);
    expect(two.balancer).not.toBe(one.balancer);
    expect(h.probe.calls).toHaveLength(1); // one monitor, one probe
  });

  test('a route without health check, passive health or breaker has none', () => {
    const h = compileHarness();
    const state = stateOf(h.compile(config([loadBalance('/api', ['http://a:1'])])));
    expect([state.monitor['http://a:1'], state.passive['http://a:1'], state.breaker['http://a:1']]).toEqual([null, null, null]);
  });

  test('live state survives: an open breaker and in-flight counts are still there after a reload', () => {
    const h = compileHarness();
    const before = stateOf(h.compile(config([api(['http://a:1'], { circuitBreaker: breakerSpec({ maxFailures: 1 }) })])));
    before.pool.begin(0, h.clock.monotonicMs());
    before.pool.begin(0, h.clock.monotonicMs());
    before.pool.finish(0, false, AttemptOutcome.TransportFailure, h.clock.monotonicMs());
    const after = stateOf(h.compile(config([api(['http://a:1'], { circuitBreaker: breakerSpec({ maxFailures: 1 }) })])));
    expect(after.pool.inFlight(0)).toBe(1);
    expect(after.pool.select(null, h.clock.monotonicMs(), null)).toBe(-1);
  });
});

describe('BackendRegistry: round robin across a reload', () => {
  const pick = (compiled: CompiledConfig, now: number): string => {
    const pool: RoutePool = stateOf(compiled).pool;
    return pool.members[pool.select(null, now, null)].target.url;
  };

  test('the cursor continues when the targets are identical', () => {
    const h = compileHarness();
    const plain = (extra: RouteConfig[] = []) => config([loadBalance('/api', ['http://a:1', 'http://b:1', 'http://c:1']), ...extra]);
    const first = h.compile(plain());
    expect([pick(first, 0), pick(first, 0)]).toEqual(['http://a:1', 'http://b:1']);
    const second = h.compile(plain([proxy('/x', 'http://x:1')]));
    expect([pick(second, 0), pick(second, 0)]).toEqual(['http://c:1', 'http://a:1']);
  });

  test('the cursor starts over when the targets change', () => {
    const h = compileHarness();
    const first = h.compile(config([loadBalance('/api', ['http://a:1', 'http://b:1', 'http://c:1'])]));
    pick(first, 0);
    const second = h.compile(config([loadBalance('/api', ['http://a:1', 'http://b:1', 'http://d:1'])]));
    expect(pick(second, 0)).toBe('http://a:1');
  });

  test('generation.balancer returns the same object for the same key', () => {
    const registry = new BackendRegistry({ probe: new ScriptedProbe(), clock: new FakeClock(), random: new SeededRandom(1), events: new RecordingBackendEvents() });
    const backends = [{ id: 'http://a:1', weight: 1 }];
    const gen1 = registry.beginGeneration();
    const balancer = gen1.balancer('/r', 'round_robin', backends);
    expect(gen1.balancer('/r', 'round_robin', [{ id: 'http://a:1', weight: 1 }])).toBe(balancer);
    registry.commit(gen1);
    const gen2 = registry.beginGeneration();
    expect(gen2.balancer('/r', 'round_robin', backends)).toBe(balancer);
    expect(gen2.balancer('/r', 'random', backends)).not.toBe(balancer);
    expect(gen2.balancer('/s', 'round_robin', backends)).not.toBe(balancer);
  });
});

describe('BackendRegistry: monitor lifecycle', () => {
  function setup() {
    const clock = new FakeClock();
    const probe = new ScriptedProbe();
    const events = new RecordingBackendEvents();
    const registry = new BackendRegistry({ probe, clock, random: new SeededRandom(1), events });
    const build = (targets: string[]) => {
      const generation = registry.beginGeneration();
      const compiled = compileConfig(config([api(targets)]), { isTrustedPeer: () => false, backends: generation, events, rateLimits: new MemoryRateLimitStore(), addressSet: () => () => false, passwords: { verify: () => Promise.resolve(false) }, authService: { check: () => Promise.resolve({ kind: 'failed', detail: 'none' }) }, jwt: { keySets: { fetch: () => Promise.resolve({ kind: 'failed', detail: 'none' }) }, tokens: { verify: () => Promise.resolve({ kind: 'invalid', reason: 'none' }) }, clock } });
      return { generation, compiled };
    };
    const probedOrigins = (): string[] => probe.calls.map((c) => c.request.origin).sort();
    return { clock, probe, events, registry, build, probedOrigins };
  }

  test('startNewMonitors starts only new monitors and resolves once each has a first result', async () => {
    const { probe, registry, build, probedOrigins } = setup();
    const first = build(['http://a:1', 'http://b:1']);
    expect(first.generation.createdMonitors).toHaveLength(2);
    expect(probe.calls).toHaveLength(0); // compiling starts nothing
    let ready = false;
    const started = first.generation.startNewMonitors().then(() => (ready = true));
    expect(probedOrigins()).toEqual(['http://a:1', 'http://b:1']);
    probe.answer(OK, 'http://a:1');
    await flushMicrotasks();
    expect(ready).toBe(false);
    probe.answer(DOWN, 'http://b:1');
    await started;
    registry.commit(first.generation);

    const second = build(['http://a:1', 'http://b:1', 'http://c:1']);
    expect(second.generation.createdMonitors.map((m) => m.target.url)).toEqual(['http://c:1']);
    void second.generation.startNewMonitors();
    expect(probedOrigins()).toEqual(['http://c:1']);
  });

  test('commit stops the monitors the new generation no longer uses', async () => {
    const { clock, probe, registry, build, probedOrigins } = setup();
    const first = build(['http://a:1', 'http://b:1']);
    const starting = first.generation.startNewMonitors();
    probe.answer(OK);
    await starting;
    registry.commit(first.generation);
    expect([...registry.currentMonitors].map((m) => m.target.url)).toEqual(['http://a:1', 'http://b:1']);

    const second = build(['http://b:1']);
    await second.generation.startNewMonitors();
    registry.commit(second.generation);
    expect([...registry.currentMonitors].map((m) => m.target.url)).toEqual(['http://b:1']);
    clock.advance(10_000);
    expect(probedOrigins()).toEqual(['http://b:1']);
  });

  test('abandon stops only the monitors the generation created', async () => {
    const { clock, probe, events, registry, build, probedOrigins } = setup();
    const first = build(['http://a:1']);
    const starting = first.generation.startNewMonitors();
    probe.answer(OK);
    await starting;
    registry.commit(first.generation);

    const second = build(['http://a:1', 'http://c:1']);
    let settled = false;
    void second.generation.startNewMonitors().then(() => (settled = true));
    expect(probedOrigins()).toEqual(['http://c:1']);
    registry.abandon(second.generation);
    await flushMicrotasks();
    expect(settled).toBe(true); // nobody waits for an abandoned monitor
    probe.answer(DOWN, 'http://c:1');
    await flushMicrotasks();
    expect(events.log).toEqual([]);

    clock.advance(10_000);
    expect(probedOrigins()).toEqual(['http://a:1']); // a still runs, c never again
    expect([...registry.currentMonitors].map((m) => m.target.url)).toEqual(['http://a:1']);

    // the abandoned monitor was never adopted: the next generation creates its own
    const third = build(['http://a:1', 'http://c:1']);
    expect(third.generation.createdMonitors.map((m) => m.target.url)).toEqual(['http://c:1']);
    expect(third.generation.createdMonitors[0]).not.toBe(second.generation.createdMonitors[0]);
  });

  test('stopAll stops every current monitor', async () => {
    const { clock, probe, registry, build } = setup();
    const first = build(['http://a:1', 'http://b:1']);
    const starting = first.generation.startNewMonitors();
    probe.answer(OK);
    await starting;
    registry.commit(first.generation);
    registry.stopAll();
    clock.advance(3_600_000);
    expect(probe.calls).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test('a monitor carried over keeps its state and its schedule', async () => {
    const { clock, probe, registry, build } = setup();
    const first = build(['http://a:1']);
    const starting = first.generation.startNewMonitors();
    clock.advance(4_000);
    probe.answer(DOWN);
    await starting;
    registry.commit(first.generation);
    const monitor = [...registry.currentMonitors][0];
    expect(monitor.healthy).toBe(false);

    clock.advance(3_000);
    const second = build(['http://a:1']);
    await second.generation.startNewMonitors();
    registry.commit(second.generation);
    expect([...registry.currentMonitors][0]).toBe(monitor);
    expect(monitor.healthy).toBe(false);
    clock.advance(6_999);
    expect(probe.calls).toHaveLength(0);
    clock.advance(1);
    expect(probe.calls.map((c) => c.request.origin)).toEqual(['http://a:1']);
  });

  test('load is keyed by URL alone', () => {
    const { registry } = setup();
    const generation = registry.beginGeneration();
    const load = generation.load(parseUpstreamTarget('http://a:1'));
    expect(generation.load(parseUpstreamTarget('http://a:1'))).toBe(load);
    expect(generation.load(parseUpstreamTarget('http://a:1/base'))).not.toBe(load);
  });
});
