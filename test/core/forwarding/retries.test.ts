import type { RetryCondition, RetrySpec } from '../../../src/config/model';
import type { ForwardRoute } from '../../../src/core/compiled-route';
import { BodyTooLargeError } from '../../../src/ports/body-errors';
import type { UpstreamFailureKind } from '../../../src/ports/upstream-client';
import { bytes, FakeBodySource, RecordingSink } from '../support/bodies';
import type { Dispatch } from '../support/fakes';
import { errorOf, pipelineHarness } from '../support/pipeline-harness';
import { loadBalance, proxy } from '../support/route-builders';
import { retrySpec } from '../support/specs';

const ABC = ['http://a:1', 'http://b:1', 'http://c:1'];

function fail(dispatch: Dispatch, kind: UpstreamFailureKind, requestSent = false): void {
  dispatch.handler.onUpstreamError({ kind, requestSent, detail: `${kind} detail` });
}

function succeed(dispatch: Dispatch, status = 200): void {
  dispatch.respond(status, ['content-length', '2']);
  dispatch.handler.onUpstreamData(bytes('ok'));
  dispatch.handler.onUpstreamEnd();
}

/** A load-balanced route over `targets` with the given retries (round robin, starts at a). */
function retrying(retries: Partial<RetrySpec>, options: { targets?: string[]; timeoutSecs?: number } = {}) {
  return pipelineHarness([loadBalance('/', options.targets ?? ABC, { retries: retrySpec(retries), timeoutSecs: options.timeoutSecs ?? 60 })]);
}

const origins = (dispatches: readonly Dispatch[]): string[] => dispatches.map((d) => d.request.origin);

describe('retries: where the retry goes', () => {
  test('a refused connection is retried on a different backend', () => {
    const { send, upstream, clock, pipeline, logger } = retrying({});
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    expect(upstream.dispatches).toHaveLength(1); // never re-entered from inside the callback
    clock.flush();
    expect(origins(upstream.dispatches)).toEqual(['http://a:1', 'http://b:1']);
    expect(exchange.events).toEqual([]);
    succeed(upstream.last);
    expect(exchange.eventTypes()).toEqual(['startResponse', 'write', 'end']);
    expect(exchange.events[0]).toMatchObject({ status: 200 });
    expect(pipeline.drain.count).toBe(0);
    expect(logger.entries.map((e) => [e.fields?.origin, e.fields?.kind, e.fields?.retrying])).toEqual([
      ['http://a:1', 'connect_refused', true],
    ]);
  });

  test('even when the balancer would pick the failed backend next', () => {
    const { send, upstream, clock } = retrying({}, { targets: ['http://a:1', 'http://b:1'] });
    send(); // -> a
    send(); // -> b; the cursor is back on a
    const [first, second] = upstream.dispatches;
    succeed(second);
    fail(first, 'connect_refused');
    clock.flush();
    expect(origins(upstream.dispatches)).toEqual(['http://a:1', 'http://b:1', 'http://b:1']);
  });

  test('each retry avoids every backend tried so far', () => {
    const { send, upstream, clock } = retrying({ attempts: 3 }, { targets: ['http://a:1', 'http://b:1', 'http://c:1'] });
    send();
    for (let i = 0; i < 3; i++) {
      fail(upstream.last, 'connect_refused');
      clock.flush();
    }
    // a, b, c, then all were tried: any may be used again
    expect(origins(upstream.dispatches).slice(0, 3)).toEqual(['http://a:1', 'http://b:1', 'http://c:1']);
    expect(upstream.dispatches).toHaveLength(4);
  });

  test('a single-backend route retries the same backend', () => {
    const { send, upstream, clock } = pipelineHarness([proxy('/', 'http://only:1', { retries: retrySpec() })]);
    send();
    fail(upstream.last, 'connect_refused');
    clock.flush();
    expect(origins(upstream.dispatches)).toEqual(['http://only:1', 'http://only:1']);
  });

  test('the retry carries the same method, path and headers', () => {
    const { send, upstream, clock } = retrying({});
    send({ method: 'DELETE', path: '/items/7', query: 'force=1' });
    fail(upstream.last, 'connect_refused');
    clock.flush();
    const [first, second] = upstream.dispatches.map((d) => d.request);
    expect(second).toMatchObject({ method: 'DELETE', pathAndQuery: '/items/7?force=1', body: null });
    expect(second.headers.filter((_, i) => i % 2 === 0)).toEqual(first.headers.filter((_, i) => i % 2 === 0));
  });
});

describe('retries: which failures are retried', () => {
  const ALL: RetryCondition[] = ['connect_error', 'reset', 502, 503, 504];
  test.each<[UpstreamFailureKind, string, boolean, RetryCondition[], boolean, number]>([
    // kind, method, requestSent, on, retried, status when not retried
    ['connect_refused', 'GET', false, ['connect_error'], true, 0],
    ['connect_timeout', 'GET', false, ['connect_error'], true, 0],
    ['connect_refused', 'POST', false, ['connect_error'], true, 0],
    ['connect_timeout', 'PATCH', false, ['connect_error'], true, 0],
    ['connect_refused', 'GET', false, ['reset', 502, 503, 504], false, 502],
    ['connect_timeout', 'GET', false, ['reset'], false, 504],
    ['reset', 'GET', true, ['reset'], true, 0],
    ['reset', 'PUT', true, ['reset'], true, 0],
    ['reset', 'DELETE', true, ['reset'], true, 0],
    ['reset', 'HEAD', true, ['reset'], true, 0],
    ['reset', 'OPTIONS', true, ['reset'], true, 0],
    ['reset', 'POST', true, ['reset'], false, 502],
    ['reset', 'PATCH', true, ['reset'], false, 502],
    ['reset', 'POST', false, ['reset'], true, 0],
    ['reset', 'GET', true, ['connect_error', 502, 503, 504], false, 502],
    ['protocol', 'GET', true, ['reset'], true, 0],
    ['other', 'GET', true, ['reset'], true, 0],
    ['protocol', 'POST', true, ALL, false, 502],
    ['response_timeout', 'GET', true, ALL, false, 504],
    ['request_body', 'PUT', true, ALL, false, 400],
    ['request_too_large', 'PUT', true, ALL, false, 413],
  ])('%s on %s (requestSent %p), on %j: retried=%p', (kind, method, requestSent, on, retried, status) => {
    const { send, upstream, clock, pipeline } = retrying({ on });
    const exchange = send({ method });
    fail(upstream.last, kind, requestSent);
    clock.flush();
    if (retried) {
      expect(origins(upstream.dispatches)).toEqual(['http://a:1', 'http://b:1']);
      expect(exchange.events).toEqual([]);
      expect(pipeline.drain.count).toBe(1);
    } else {
      expect(upstream.dispatches).toHaveLength(1);
      expect(errorOf(exchange)[0]).toBe(status);
      expect(pipeline.drain.count).toBe(0);
    }
  });

  test.each<[number, string, RetryCondition[], boolean]>([
    // status, method, on, retried
    [503, 'GET', [503], true],
    [502, 'GET', [502], true],
    [504, 'HEAD', [504], true],
    [503, 'PUT', [503], true],
    [503, 'DELETE', [503], true],
    [503, 'OPTIONS', [503], true],
    [503, 'GET', [502, 504], false],
    [502, 'GET', ['connect_error', 'reset'], false],
    [500, 'GET', ALL, false],
    [501, 'GET', ALL, false],
    [505, 'GET', ALL, false],
    [404, 'GET', ALL, false],
    [503, 'POST', [503], false],
    [502, 'PATCH', [502], false],
  ])('upstream %i to %s, on %j: retried=%p', (status, method, on, retried) => {
    const { send, upstream, clock, pipeline } = retrying({ on });
    const exchange = send({ method });
    const first = upstream.last;
    first.respond(status, ['content-length', '0']);
    clock.flush();
    if (retried) {
      expect(first.aborts).toBe(1);
      expect(exchange.events).toEqual([]);
      expect(origins(upstream.dispatches)).toEqual(['http://a:1', 'http://b:1']);
      succeed(upstream.last);
      expect(exchange.events[0]).toMatchObject({ type: 'startResponse', status: 200 });
    } else {
      // the client sees the upstream's own response
      expect(first.aborts).toBe(0);
      expect(upstream.dispatches).toHaveLength(1);
      expect(exchange.events).toEqual([{ type: 'startResponse', status, headers: [], contentLength: 0 }]);
      first.handler.onUpstreamEnd();
      expect(exchange.eventTypes()).toEqual(['startResponse', 'end']);
    }
    expect(pipeline.drain.count).toBe(0);
  });

  test('attempts 0 never retries', () => {
    const { send, upstream, clock } = retrying({ attempts: 0, on: ['connect_error', 'reset', 503] });
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    clock.flush();
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
  });

  test('no retry once the response has started', () => {
    const { send, upstream, clock } = retrying({ on: ['reset'] });
    const exchange = send();
    upstream.last.respond(200);
    fail(upstream.last, 'reset', true);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(1);
    expect(exchange.eventTypes()).toEqual(['startResponse', 'abort']);
  });
});

describe('retries: running out', () => {
  test.each<[UpstreamFailureKind[], [number, string]]>([
    [['connect_refused', 'connect_refused', 'connect_refused'], [502, 'bad_gateway']],
    [['connect_refused', 'reset', 'connect_timeout'], [504, 'gateway_timeout']],
    [['connect_timeout', 'connect_timeout', 'reset'], [502, 'bad_gateway']],
    [['connect_timeout', 'connect_timeout', 'protocol'], [502, 'bad_gateway']],
  ])('attempts 2 used up by %j: the last error answers %j', (kinds, answer) => {
    const { send, upstream, clock, logger, pipeline } = retrying({ attempts: 2, on: ['connect_error', 'reset'] });
    const exchange = send();
    for (const kind of kinds) {
      fail(upstream.last, kind, kind === 'reset' || kind === 'protocol');
      clock.flush();
    }
    expect(origins(upstream.dispatches)).toEqual(ABC);
    expect(errorOf(exchange)).toEqual(answer);
    expect(logger.entries.map((e) => e.fields?.retrying)).toEqual([true, true, false]);
    expect(pipeline.drain.count).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });

  test('when the last attempt answers a retryable status, the client gets that response', () => {
    const { send, upstream, clock } = retrying({ attempts: 1, on: [503] });
    const exchange = send();
    upstream.last.respond(503);
    clock.flush();
    upstream.last.respond(503, ['retry-after', '5']);
    expect(exchange.events).toEqual([{ type: 'startResponse', status: 503, headers: ['retry-after', '5'], contentLength: null }]);
    expect(upstream.dispatches.map((d) => d.aborts)).toEqual([1, 0]);
  });

  test('a retried status then a failure: the failure answers', () => {
    const { send, upstream, clock } = retrying({ attempts: 1, on: [503, 'connect_error'] });
    const exchange = send();
    upstream.last.respond(503);
    clock.flush();
    fail(upstream.last, 'connect_timeout');
    expect(errorOf(exchange)).toEqual([504, 'gateway_timeout']);
  });
});

describe('retries: back-off and the time budget', () => {
  test('backoff_ms is waited on the clock before each retry', () => {
    const { send, upstream, clock } = retrying({ attempts: 2, backoffMs: 100 });
    send();
    const start = clock.monotonicMs();
    const sentAt: number[] = [0];
    for (let i = 0; i < 2; i++) {
      clock.advance(30); // the failure takes 30 ms
      fail(upstream.last, 'connect_refused');
      clock.flush();
      const before = upstream.dispatches.length;
      clock.advance(99);
      expect(upstream.dispatches).toHaveLength(before);
      clock.advance(1);
      expect(upstream.dispatches).toHaveLength(before + 1);
      sentAt.push(clock.monotonicMs() - start);
    }
    expect(sentAt).toEqual([0, 130, 260]);
  });

  test.each<[number, boolean]>([
    // the first attempt fails this long after the request arrived (timeout 1 s, back-off 300 ms)
    [0, true],
    [699, true],
    [700, false], // 700 + 300 is not < 1000
    [950, false],
  ])('failure after %i ms: retried=%p', (failAt, retried) => {
    const { send, upstream, clock } = retrying({ backoffMs: 300 }, { timeoutSecs: 1 });
    const exchange = send();
    clock.advance(failAt);
    fail(upstream.last, 'connect_refused');
    clock.advance(300);
    if (retried) {
      expect(upstream.dispatches).toHaveLength(2);
      // the retry's head timeout is what is left of the budget
      expect(upstream.last.request.headersTimeoutMs).toBe(1000 - failAt - 300);
      expect(upstream.last.request.bodyTimeoutMs).toBe(1000);
      expect(upstream.last.request.connectTimeoutMs).toBe(5000);
    } else {
      expect(upstream.dispatches).toHaveLength(1);
      expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
    }
  });

  test('a back-off as long as the whole budget means no retry at all', () => {
    const { send, upstream, clock } = retrying({ backoffMs: 1000 }, { timeoutSecs: 1 });
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    clock.advance(5000);
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
  });

  test('the budget also bounds a retried status', () => {
    const { send, upstream, clock } = retrying({ on: [503], backoffMs: 300 }, { timeoutSecs: 1 });
    const exchange = send();
    clock.advance(700);
    upstream.last.respond(503);
    expect(exchange.events[0]).toMatchObject({ type: 'startResponse', status: 503 });
    expect(upstream.dispatches).toHaveLength(1);
  });

  test('the first attempt is bounded by timeout_secs too: no head in time is a 504, logged, the call aborted', () => {
    const { send, upstream, clock, pipeline, logger } = retrying({}, { timeoutSecs: 0.2 });
    const exchange = send();
    const call = upstream.last;
    expect(call.request.headersTimeoutMs).toBe(200);
    clock.advance(199);
    expect(exchange.events).toEqual([]);
    clock.advance(1);
    expect(errorOf(exchange)).toEqual([504, 'gateway_timeout']);
    expect(call.aborts).toBe(1);
    expect(upstream.dispatches).toHaveLength(1);
    expect(pipeline.drain.count).toBe(0);
    expect(logger.entries.map((e) => [e.fields?.origin, e.fields?.kind, e.fields?.retrying])).toEqual([
      ['http://a:1', 'response_timeout', false],
    ]);
    call.respond(200);
    call.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['respond']);
  });

  test('a head in time cancels the deadline', () => {
    const { send, upstream, clock } = retrying({}, { timeoutSecs: 1 });
    const exchange = send();
    expect(clock.pendingTimers).toBe(1);
    upstream.last.respond(200);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5_000);
    upstream.last.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['startResponse', 'end']);
  });

  test('a retry that has no head by the deadline answers 504 and is aborted', () => {
    const { send, upstream, clock, pipeline, logger } = retrying({}, { timeoutSecs: 1 });
    const exchange = send();
    clock.advance(400);
    fail(upstream.last, 'connect_refused');
    clock.flush();
    const retry = upstream.last;
    expect(retry.request.headersTimeoutMs).toBe(600);
    clock.advance(599);
    expect(exchange.events).toEqual([]);
    clock.advance(1);
    expect(errorOf(exchange)).toEqual([504, 'gateway_timeout']);
    expect(retry.aborts).toBe(1);
    expect(pipeline.drain.count).toBe(0);
    const pool = (pipeline.current.routes.match('example.com', '/') as ForwardRoute).pool;
    expect([0, 1, 2].map((i) => pool.inFlight(i))).toEqual([0, 0, 0]);
    // a late answer changes nothing
    retry.respond(200);
    retry.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['respond']);
    expect(logger.entries.map((e) => [e.fields?.origin, e.fields?.kind, e.fields?.retrying])).toEqual([
      ['http://a:1', 'connect_refused', true],
      ['http://b:1', 'response_timeout', false],
    ]);
  });

  test('a retry whose head arrives in time streams on past the deadline', () => {
    const { send, upstream, clock } = retrying({}, { timeoutSecs: 1 });
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    clock.flush();
    upstream.last.respond(200);
    expect(clock.pendingTimers).toBe(0);
    clock.advance(5000);
    upstream.last.handler.onUpstreamData(bytes('late but fine'));
    upstream.last.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['startResponse', 'write', 'end']);
    expect(upstream.last.aborts).toBe(0);
  });

  test('no timer is left behind after retried statuses (a retry attempt dropped for a 503 cancels its deadline)', () => {
    const { send, upstream, clock, pipeline } = retrying({ attempts: 2, on: [503] }, { timeoutSecs: 10 });
    const exchange = send();
    upstream.last.respond(503);
    clock.flush();
    upstream.last.respond(503);
    clock.flush();
    succeed(upstream.last);
    expect(exchange.events[0]).toMatchObject({ type: 'startResponse', status: 200 });
    expect(pipeline.drain.count).toBe(0);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('retries: the client goes away', () => {
  test('during the back-off: no further dispatch, drain back to 0', () => {
    const { send, upstream, clock, pipeline } = retrying({ backoffMs: 100 });
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    exchange.goAway();
    expect(pipeline.drain.count).toBe(0);
    clock.advance(10_000);
    expect(upstream.dispatches).toHaveLength(1);
    expect(exchange.events).toEqual([]);
    expect(clock.pendingTimers).toBe(0);
  });

  test('during a retry: that attempt is aborted, nothing more is sent', () => {
    const { send, upstream, clock, pipeline } = retrying({ attempts: 3 });
    const exchange = send();
    fail(upstream.last, 'connect_refused');
    clock.flush();
    exchange.goAway();
    expect(upstream.last.aborts).toBe(1);
    expect(pipeline.drain.count).toBe(0);
    clock.advance(120_000);
    expect(upstream.dispatches).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);
  });
});

describe('retries: the request body', () => {
  function withBody(retries: Partial<RetrySpec>, method = 'PUT') {
    const h = retrying({ on: ['connect_error', 'reset'], ...retries });
    const client = new FakeBodySource();
    const exchange = h.send({ method, body: client });
    /** Plays undici reading the body of dispatch `index`. */
    const read = (index: number): RecordingSink => {
      const sink = new RecordingSink();
      h.upstream.dispatches[index].request.body!.start(sink);
      return sink;
    };
    return { ...h, client, exchange, read };
  }

  test('a body within the buffer is sent again, byte for byte', () => {
    const { upstream, clock, client, read } = withBody({});
    const first = read(0);
    client.push('hello ');
    client.push('world');
    client.end();
    fail(upstream.last, 'reset', true);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(2);
    const second = read(1);
    expect(second.log).toEqual(['chunk:hello ', 'chunk:world', 'end']);
    expect(second.body).toBe(first.body);
    expect(upstream.dispatches[1].request.body).not.toBe(upstream.dispatches[0].request.body);
  });

  test('a body still arriving: the retry gets what was sent, then the rest live', () => {
    const { upstream, clock, client, read } = withBody({});
    const first = read(0);
    client.push('part1,');
    fail(upstream.last, 'reset', true);
    expect(client.paused).toBe(true);
    clock.flush();
    const second = read(1);
    expect(client.paused).toBe(false);
    client.push('part2');
    client.end();
    expect(second.log).toEqual(['chunk:part1,', 'chunk:part2', 'end']);
    expect(first.log).toEqual(['chunk:part1,']);
  });

  test('the client is paused and the failed attempt gets nothing more during the back-off', () => {
    const { upstream, clock, client, read } = withBody({ backoffMs: 100 });
    const first = read(0);
    client.push('a');
    fail(upstream.last, 'reset', true);
    expect(client.paused).toBe(true);
    client.push('b'); // was already on its way
    expect(first.log).toEqual(['chunk:a']);
    clock.advance(100);
    const second = read(1);
    expect(client.paused).toBe(false);
    client.end();
    expect(second.log).toEqual(['chunk:a', 'chunk:b', 'end']);
  });

  test('a body that outgrows the buffer during the back-off is never sent in part', () => {
    const { upstream, clock, client, read, exchange, pipeline } = withBody({ bufferBytes: 10, backoffMs: 100 });
    read(0);
    client.push('hello');
    fail(upstream.last, 'reset', true);
    client.push('123456'); // arrives despite the pause: 11 bytes > 10
    clock.advance(100);
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
    expect(pipeline.drain.count).toBe(0);
  });

  test('a client body error during the back-off reaches the retry, whose failure then answers', () => {
    const { upstream, clock, client, read, exchange } = withBody({ backoffMs: 100 });
    read(0);
    client.push('a');
    fail(upstream.last, 'reset', true);
    client.fail(new BodyTooLargeError(1));
    clock.advance(100);
    expect(read(1).log).toEqual(['chunk:a', 'error:request body exceeds 1 bytes']);
    fail(upstream.last, 'request_too_large', true);
    expect(errorOf(exchange)).toEqual([413, 'payload_too_large']);
  });

  test('a body exactly the buffer size is still replayed', () => {
    const { upstream, clock, client, read } = withBody({ bufferBytes: 5 });
    read(0);
    client.push('12345');
    client.end();
    fail(upstream.last, 'reset', true);
    clock.flush();
    expect(read(1).body).toBe('12345');
  });

  test('a body larger than the buffer, already streamed: no retry', () => {
    const { upstream, clock, client, read, exchange, logger } = withBody({ bufferBytes: 4 });
    read(0);
    client.push('hello');
    fail(upstream.last, 'reset', true);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
    expect(logger.entries[0].fields?.retrying).toBe(false);
  });

  test('a body larger than the buffer, streamed, then a connect error elsewhere: still no retry', () => {
    const { upstream, clock, client, read, exchange } = withBody({ bufferBytes: 4 });
    read(0);
    client.push('hello');
    fail(upstream.last, 'connect_refused', false);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([502, 'bad_gateway']);
  });

  test('a body larger than the buffer that was never read is retried, and streams live', () => {
    const { upstream, clock, client, read } = withBody({ bufferBytes: 4 }, 'POST');
    fail(upstream.last, 'connect_refused', false);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(2);
    const second = read(1);
    client.push('hello, larger than four bytes');
    client.end();
    expect(second.body).toBe('hello, larger than four bytes');
    expect(client.starts).toBe(1);
  });

  test('POST with a body: a refused connection is retried, a reset after sending is not', () => {
    const refused = withBody({}, 'POST');
    refused.read(0);
    refused.client.push('x');
    fail(refused.upstream.last, 'connect_refused', false);
    refused.clock.flush();
    expect(refused.read(1).log).toEqual(['chunk:x']);

    const reset = withBody({}, 'POST');
    reset.read(0);
    reset.client.push('x');
    fail(reset.upstream.last, 'reset', true);
    reset.clock.flush();
    expect(reset.upstream.dispatches).toHaveLength(1);
    expect(errorOf(reset.exchange)).toEqual([502, 'bad_gateway']);
  });

  test('a client body error is not retried: 400', () => {
    const { upstream, clock, client, read, exchange } = withBody({});
    read(0);
    client.push('x');
    client.fail(new Error('client went away'));
    fail(upstream.last, 'request_body', true);
    clock.flush();
    expect(upstream.dispatches).toHaveLength(1);
    expect(errorOf(exchange)).toEqual([400, 'bad_request']);
  });

  test('without retries the client body goes upstream as it is', () => {
    const h = retrying({ attempts: 0 });
    const client = new FakeBodySource();
    h.send({ method: 'PUT', body: client });
    expect(h.upstream.last.request.body).toBe(client);
  });

  test('a retried status replays the body too', () => {
    const { upstream, clock, client, read } = withBody({ on: [503] });
    read(0);
    client.push('payload');
    client.end();
    upstream.last.respond(503);
    clock.flush();
    expect(read(1).log).toEqual(['chunk:payload', 'end']);
  });
});
