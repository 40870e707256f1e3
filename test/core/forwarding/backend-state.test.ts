import type { LoadBalanceRoute } from '../../../src/config/model';
import type { ForwardRoute } from '../../../src/core/compiled-route';
import type { ProbeResult } from '../../../src/ports/health-probe';
import type { UpstreamFailureKind } from '../../../src/ports/upstream-client';
import { bytes } from '../support/bodies';
import type { Dispatch, FakeExchange } from '../support/fakes';
import { flushMicrotasks } from '../support/microtasks';
import { errorOf, onlyResponse, pipelineHarness } from '../support/pipeline-harness';
import { loadBalance, proxy } from '../support/route-builders';
import { breakerSpec, healthCheckSpec, passiveSpec, retrySpec } from '../support/specs';

const OK: ProbeResult = { kind: 'response', status: 200, body: '' };
const DOWN: ProbeResult = { kind: 'failed', detail: 'refused' };

function fail(dispatch: Dispatch, kind: UpstreamFailureKind = 'connect_refused'): void {
  dispatch.handler.onUpstreamError({ kind, requestSent: false, detail: kind });
}

function succeed(dispatch: Dispatch, status = 200): void {
  dispatch.respond(status);
  dispatch.handler.onUpstreamData(bytes('ok'));
  dispatch.handler.onUpstreamEnd();
}

function expectUnavailable(exchange: FakeExchange, retryAfter: string): void {
  expect(onlyResponse(exchange)).toEqual({
    type: 'respond',
    status: 503,
    headers: ['content-type', 'application/json', 'retry-after', retryAfter],
    body: '{"error":"service_unavailable","status":503}',
  });
}

function poolOf(h: ReturnType<typeof pipelineHarness>, path = '/') {
  return (h.pipeline.current.routes.match('example.com', path) as ForwardRoute).pool;
}

describe('no backend available', () => {
  test('every backend down by health check: 503 with Retry-After and a JSON body, nothing dispatched', async () => {
    const h = pipelineHarness([loadBalance('/', ['http://a:1', 'http://b:1'], { healthCheck: healthCheckSpec({ intervalSecs: 7 }) })]);
    expect(h.probe.answer(DOWN)).toBe(2);
    await flushMicrotasks();
    const exchange = h.send();
    expectUnavailable(exchange, '7');
    expect(h.upstream.dispatches).toHaveLength(0);
    expect(h.pipeline.drain.count).toBe(0);
    expect(h.logger.entries).toEqual([]);
    expect(h.events.log).toEqual(['http://a:1 unhealthy', 'http://b:1 unhealthy']);
  });

  test('traffic goes only to backends the health check passes, and back once they recover', async () => {
    const h = pipelineHarness([
      loadBalance('/', ['http://a:1', 'http://b:1'], { healthCheck: healthCheckSpec({ intervalSecs: 5, healthyThreshold: 2 }) }),
    ]);
    h.probe.answer(DOWN, 'http://a:1');
    h.probe.answer(OK, 'http://b:1');
    await flushMicrotasks();
    for (let i = 0; i < 3; i++) h.send();
    expect(h.upstream.dispatches.map((d) => d.request.origin)).toEqual(['http://b:1', 'http://b:1', 'http://b:1']);
    for (let i = 0; i < 2; i++) {
      h.clock.advance(5_000);
      h.probe.answer(OK);
      await flushMicrotasks();
    }
    expect(h.events.log).toEqual(['http://a:1 unhealthy', 'http://a:1 healthy']);
    h.send();
    h.send();
    expect(h.upstream.dispatches.slice(3).map((d) => d.request.origin).sort()).toEqual(['http://a:1', 'http://b:1']);
  });

  test('panic mode (min_healthy_percent) sends traffic to unhealthy backends rather than none', async () => {
    const h = pipelineHarness([loadBalance('/', ['http://a:1', 'http://b:1'], { healthCheck: healthCheckSpec(), minHealthyPercent: 50 })]);
    h.probe.answer(DOWN);
    await flushMicrotasks();
    h.send();
    h.send();
    expect(h.upstream.dispatches.map((d) => d.request.origin)).toEqual(['http://a:1', 'http://b:1']);
  });

  test('a retry that finds no backend left answers the error that caused it, not 503', () => {
    // max_failures 1: the refused connection opens the only backend's breaker
    const h = pipelineHarness([proxy('/', 'http://a:1', { circuitBreaker: breakerSpec({ maxFailures: 1 }), retries: retrySpec() })]);
    const exchange = h.send();
    fail(h.upstream.last, 'connect_timeout');
    h.clock.flush();
    expect(h.upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([504, 'gateway_timeout']);
  });

  test('a retried status with no backend left answers that status', () => {
    const h = pipelineHarness([
      proxy('/', 'http://a:1', { circuitBreaker: breakerSpec({ maxFailures: 1 }), retries: retrySpec({ on: [503] }) }),
    ]);
    const exchange = h.send();
    h.upstream.last.respond(503);
    h.clock.flush();
    expect(h.upstream.dispatches).toHaveLength(1);
    expect(onlyResponse(exchange)).toEqual({
      type: 'respond',
      status: 503,
      headers: ['content-type', 'application/json'],
      body: '{"error":"service_unavailable","status":503}',
    });
    expect(h.pipeline.drain.count).toBe(0);
  });
});

describe('circuit breaker in the pipeline', () => {
  const route = () => proxy('/', 'http://a:1', { circuitBreaker: breakerSpec({ maxFailures: 2, timeoutSecs: 30, halfOpenSuccesses: 1 }) });

  test('open: a fast 503 without any upstream call, Retry-After counting down', () => {
    const h = pipelineHarness([route()]);
    for (let i = 0; i < 2; i++) {
      const exchange = h.send();
      fail(h.upstream.last);
      expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
    }
    expect(h.events.log).toEqual(['/ http://a:1 breaker open']);
    expectUnavailable(h.send(), '30');
    h.clock.advance(12_400);
    expectUnavailable(h.send(), '18');
    expect(h.upstream.dispatches).toHaveLength(2);
    expect(h.pipeline.drain.count).toBe(0);
  });

  test('half-open: one trial at a time; its success closes the breaker', () => {
    const h = pipelineHarness([route()]);
    for (let i = 0; i < 2; i++) {
      h.send();
      fail(h.upstream.last);
    }
    h.clock.advance(30_000);
    const trial = h.send();
    expect(h.upstream.dispatches).toHaveLength(3);
    expectUnavailable(h.send(), '1'); // the trial slot is taken
    succeed(h.upstream.last);
    expect(trial.eventTypes()).toEqual(['startResponse', 'write', 'end']);
    expect(h.events.log).toEqual(['/ http://a:1 breaker open', '/ http://a:1 breaker closed']);
    h.send();
    h.send();
    expect(h.upstream.dispatches).toHaveLength(5);
  });

  test('half-open: a failed trial reopens it for a full timeout', () => {
    const h = pipelineHarness([route()]);
    for (let i = 0; i < 2; i++) {
      h.send();
      fail(h.upstream.last);
    }
    h.clock.advance(30_000);
    h.send();
    h.clock.advance(1_000);
    fail(h.upstream.last);
    expectUnavailable(h.send(), '30');
    expect(h.events.log).toEqual(['/ http://a:1 breaker open', '/ http://a:1 breaker open']);
  });

  test('a trial whose client leaves frees the slot without closing or reopening', () => {
    const h = pipelineHarness([route()]);
    for (let i = 0; i < 2; i++) {
      h.send();
      fail(h.upstream.last);
    }
    h.clock.advance(30_000);
    const leaving = h.send();
    expectUnavailable(h.send(), '1');
    leaving.goAway();
    h.send();
    expect(h.upstream.dispatches).toHaveLength(4);
    expect(h.events.log).toEqual(['/ http://a:1 breaker open']);
  });

  test('5xx answers count as breaker failures', () => {
    const h = pipelineHarness([route()]);
    for (let i = 0; i < 2; i++) {
      h.send();
      succeed(h.upstream.last, 500);
    }
    expectUnavailable(h.send(), '30');
  });

  test('the breaker belongs to the route: another route to the same backend still sends', () => {
    const h = pipelineHarness([
      proxy('/x', 'http://a:1', { circuitBreaker: breakerSpec({ maxFailures: 1 }) }),
      proxy('/y', 'http://a:1', { circuitBreaker: breakerSpec({ maxFailures: 1 }) }),
    ]);
    h.send({ path: '/x' });
    fail(h.upstream.last);
    expectUnavailable(h.send({ path: '/x' }), '10');
    h.send({ path: '/y' });
    expect(h.upstream.dispatches).toHaveLength(2);
  });
});

describe('passive health in the pipeline', () => {
  const passiveRoute = (options: Partial<LoadBalanceRoute> = {}) =>
    loadBalance('/', ['http://a:1', 'http://b:1'], { passiveHealth: passiveSpec({ consecutiveFailures: 5, ejectionSecs: 30 }), ...options });

  test('5 connect failures eject a backend; traffic goes to the other until the ejection ends', () => {
    const h = pipelineHarness([passiveRoute()]);
    const answers: number[] = [];
    for (let i = 0; i < 10; i++) {
      const exchange = h.send();
      const call = h.upstream.last;
      if (call.request.origin === 'http://a:1') fail(call);
      else succeed(call);
      answers.push(exchange.events[0].type === 'respond' ? 502 : 200);
    }
    expect(answers).toEqual([502, 200, 502, 200, 502, 200, 502, 200, 502, 200]);
    expect(h.events.log).toEqual(['/ http://a:1 ejected 30000ms']);
    for (let i = 0; i < 3; i++) {
      h.send();
      succeed(h.upstream.last);
    }
    expect(h.upstream.dispatches.slice(10).map((d) => d.request.origin)).toEqual(['http://b:1', 'http://b:1', 'http://b:1']);
    h.clock.advance(30_000);
    h.send();
    h.send();
    expect(h.upstream.dispatches.slice(13).map((d) => d.request.origin).sort()).toEqual(['http://a:1', 'http://b:1']);
  });

  test('with retries each failure on a is retried on b, so clients never see it', () => {
    const h = pipelineHarness([passiveRoute({ retries: retrySpec() })]);
    for (let i = 0; i < 6; i++) {
      const exchange = h.send();
      while (!exchange.finished) {
        const call = h.upstream.last;
        if (call.request.origin === 'http://a:1') fail(call);
        else succeed(call);
        h.clock.flush();
      }
      expect(exchange.events[0]).toMatchObject({ type: 'startResponse', status: 200 });
    }
    expect(h.events.log).toEqual(['/ http://a:1 ejected 30000ms']);
    // after the 5th request a was ejected: the 6th went straight to b
    expect(h.upstream.dispatches.map((d) => d.request.origin.slice(7, 8)).join('')).toBe('ababababab' + 'b');
  });

  test('5xx answers count only with count_5xx', () => {
    for (const count5xx of [false, true]) {
      const h = pipelineHarness([passiveRoute({ passiveHealth: passiveSpec({ consecutiveFailures: 2, count5xx }) })]);
      for (let i = 0; i < 4; i++) {
        h.send();
        succeed(h.upstream.last, h.upstream.last.request.origin === 'http://a:1' ? 503 : 200);
      }
      expect(h.events.log).toEqual(count5xx ? ['/ http://a:1 ejected 10000ms'] : []);
    }
  });

  test('the last available backend is never ejected', () => {
    const h = pipelineHarness([proxy('/', 'http://a:1', { passiveHealth: passiveSpec({ consecutiveFailures: 1 }) })]);
    for (let i = 0; i < 5; i++) {
      h.send();
      fail(h.upstream.last);
    }
    expect(h.upstream.dispatches).toHaveLength(5);
    expect(h.events.log).toEqual([]);
  });

  test('a client leaving is no evidence: it counts neither as failure nor success', () => {
    const h = pipelineHarness([passiveRoute({ passiveHealth: passiveSpec({ consecutiveFailures: 2 }) })]);
    h.send(); // a
    fail(h.upstream.last);
    h.send(); // b
    succeed(h.upstream.last);
    h.send().goAway(); // a: neutral, the streak of 1 stands
    h.send(); // b
    succeed(h.upstream.last);
    h.send(); // a
    fail(h.upstream.last);
    expect(h.events.log).toEqual(['/ http://a:1 ejected 10000ms']);
  });
});

describe('in-flight counts', () => {
  test('count each attempt up and down, through retries, back-off and every ending', () => {
    const h = pipelineHarness([loadBalance('/', ['http://a:1', 'http://b:1'], { retries: retrySpec({ backoffMs: 50 }) })]);
    const pool = poolOf(h);
    const counts = () => [pool.inFlight(0), pool.inFlight(1)];
    const ends = h.send();
    const gone = h.send();
    expect(counts()).toEqual([1, 1]);
    fail(h.upstream.dispatches[0]);
    expect(counts()).toEqual([0, 1]); // a's attempt is over, the retry waits
    gone.goAway();
    expect(counts()).toEqual([0, 0]);
    h.clock.advance(50);
    expect(counts()).toEqual([0, 1]); // the retry is on b
    succeed(h.upstream.last);
    expect(counts()).toEqual([0, 0]);
    expect(ends.finished).toBe(true);
    expect(h.pipeline.drain.count).toBe(0);
  });
});
