import { BodyTooLargeError } from '../../../src/ports/body-errors';
import type { BodySource } from '../../../src/ports/body';
import { bytes, FakeBodySource, RecordingSink, text } from '../support/bodies';
import type { Dispatch, FakeExchange } from '../support/fakes';
import { onlyResponse, pipelineHarness } from '../support/pipeline-harness';
import { routeWithRules } from './support';

/** The route is `/api`; requests go there unless the test says otherwise. */
function harness(...lines: string[]) {
  const built = pipelineHarness([routeWithRules(...lines)]);
  const send: typeof built.send = (request = {}) => built.send({ path: '/api', ...request });
  return { ...built, send };
}

/** What an upstream request body delivers when started. */
function drained(body: BodySource | null): string[] {
  if (body === null) return ['no body'];
  const sink = new RecordingSink();
  body.start(sink);
  return sink.log;
}

function headerMap(headers: readonly string[]): Record<string, string[]> {
  const map: Record<string, string[]> = {};
  for (let i = 0; i < headers.length; i += 2) (map[headers[i]] ??= []).push(headers[i + 1]);
  return map;
}

function respondWith(dispatch: Dispatch, status: number, headers: string[], body: string | null): void {
  dispatch.respond(status, headers);
  if (body !== null) dispatch.handler.onUpstreamData(bytes(body));
  dispatch.handler.onUpstreamEnd();
}

function bodyText(exchange: FakeExchange): string {
  const event = onlyResponse(exchange);
  return typeof event.body === 'string' ? event.body : text(event.body!);
}

describe('request rules on the way upstream', () => {
  test('header rules run after prox\'s own headers and may override them, Host included', () => {
    const { send, upstream } = harness(
      'preserve_host: true',
      'request_headers:',
      '  add: {Host: backend.internal, X-Forwarded-Proto: https, X-Real-IP: "{client_ip}"}',
      '  remove: [X-Forwarded-Host, Cookie]',
    );
    send({ path: '/api/x', headers: ['host', 'example.com', 'cookie', 'a=1', 'accept', '*/*'] });
    const headers = headerMap(upstream.last.request.headers);
    expect(headers['host']).toEqual(['backend.internal']);
    expect(headers['x-forwarded-proto']).toEqual(['https']);
    expect(headers['x-real-ip']).toEqual(['203.0.113.7']);
    expect(headers['x-forwarded-for']).toEqual(['203.0.113.7']);
    expect(headers['x-forwarded-host']).toBeUndefined();
    expect(headers['cookie']).toBeUndefined();
    expect(headers['accept']).toEqual(['*/*']);
  });

  test('conditions test the path the client asked for, before path_rewrite', () => {
    const { send, upstream } = harness('path_rewrite: /v2', 'request_headers: {condition: {path_matches: "^/api/special"}, add: {X-Hit: "1"}}');
    send({ path: '/api/special/x' });
    expect(upstream.last.request.pathAndQuery).toBe('/v2/special/x');
    expect(headerMap(upstream.last.request.headers)['x-hit']).toEqual(['1']);
    send({ path: '/api/plain' });
    expect(headerMap(upstream.last.request.headers)['x-hit']).toBeUndefined();
  });

  test('a matching request body rule reads and drops the client\'s body, then sends the replacement', () => {
    const { send, upstream } = harness('request_body: {condition: {path_matches: /special}, set_text: "This is a modified request body."}');
    const client = new FakeBodySource();
    const exchange = send({ method: 'POST', path: '/api/special/post', body: client, headers: ['host', 'example.com', 'content-type', 'application/json', 'content-length', '20'] });
    // The client's body is read at once, never paused, and nothing goes upstream before its end.
    expect(client.starts).toBe(1);
    client.push('{"original": ');
    client.push('"data"}');
    expect([client.pauses, upstream.dispatches.length]).toEqual([0, 0]);
    client.end();
    const request = upstream.last.request;
    expect(headerMap(request.headers)['content-length']).toEqual(['32']);
    expect(headerMap(request.headers)['content-type']).toEqual(['text/plain; charset=utf-8']);
    expect(drained(request.body)).toEqual(['chunk:This is a modified request body.', 'end']);
    respondWith(upstream.last, 200, ['content-length', '2'], 'ok');
    expect(exchange.eventTypes()).toEqual(['startResponse', 'write', 'end']);
  });

  test('a request whose body rule does not match streams its own body', () => {
    const { send, upstream } = harness('retries: {attempts: 0}', 'request_body: {condition: {path_matches: /special}, set_text: x}');
    const client = new FakeBodySource();
    send({ method: 'POST', path: '/api/plain', body: client });
    expect(upstream.last.request.body).toBe(client);
    expect(client.starts).toBe(0);
  });

  test('a GET without a body gets the replacement when the rule matches', () => {
    const { send, upstream } = harness('request_body: {condition: {method_is: GET}, set_json: {q: 1}}');
    send({ method: 'GET', path: '/api' });
    expect(drained(upstream.last.request.body)).toEqual(['chunk:{"q":1}', 'end']);
    expect(headerMap(upstream.last.request.headers)['content-length']).toEqual(['7']);
  });

  test('a retry sends the replacement again, whole', () => {
    const { send, upstream, clock } = harness('retries: {attempts: 1, on: [connect_error]}', 'request_body: {set_text: replaced}');
    const client = new FakeBodySource();
    send({ method: 'POST', body: client });
    client.end();
    upstream.last.handler.onUpstreamError({ kind: 'connect_refused', requestSent: false, detail: 'refused' });
    clock.flush();
    expect(upstream.dispatches).toHaveLength(2);
    expect(drained(upstream.dispatches[1].request.body)).toEqual(['chunk:replaced', 'end']);
    expect(client.starts).toBe(1);
  });

  test('a discarded client body over the size limit still gets 413', () => {
    const { send, upstream } = harness('request_body: {set_text: replaced}');
    const client = new FakeBodySource();
    const exchange = send({ method: 'POST', body: client });
    client.fail(new BodyTooLargeError(10));
    expect(upstream.dispatches).toHaveLength(0);
    expect(onlyResponse(exchange).status).toBe(413);
  });

  test('a client whose discarded body stalls gets 408 when the route\'s time budget is spent', () => {
    const { send, upstream, clock, pipeline } = harness('timeout_secs: 2', 'request_body: {set_text: replaced}');
    const client = new FakeBodySource();
    const exchange = send({ method: 'POST', body: client });
    client.push('part');
    clock.advance(1_999);
    expect(exchange.events).toEqual([]);
    clock.advance(1);
    expect(onlyResponse(exchange).status).toBe(408);
    expect(upstream.dispatches).toHaveLength(0);
    expect(pipeline.drain.count).toBe(0);
  });

  test('a client that leaves while its discarded body streams sends nothing upstream', () => {
    const { send, upstream, pipeline, clock } = harness('request_body: {set_text: replaced}');
    const client = new FakeBodySource();
    const exchange = send({ method: 'POST', body: client });
    exchange.goAway();
    expect(pipeline.drain.count).toBe(0);
    expect(clock.pendingTimers).toBe(0);
    expect(upstream.dispatches).toHaveLength(0);
  });
});

describe('response rules on the way back', () => {
  const SEED_RESPONSE_BODY = [
    'response_body:',
    '  condition: {has_header: {name: X-Error-Type, value_matches: NotFound}}',
    '  set_json: {error: Resource not found, status: 404}',
  ];

  test('header rules edit the head sent to the client', () => {
    const { send, upstream } = harness('response_headers: {add: {Server: Prox}, remove: [X-Powered-By], append: {Set-Cookie: b=2}}');
    const exchange = send();
    respondWith(upstream.last, 200, ['server', 'nginx', 'x-powered-by', 'PHP', 'set-cookie', 'a=1', 'content-length', '2'], 'ok');
    const start = exchange.events[0];
    if (start.type !== 'startResponse') throw new Error('expected a streamed response');
    expect(headerMap(start.headers)).toEqual({ 'set-cookie': ['a=1', 'b=2'], server: ['Prox'] });
    expect(start.contentLength).toBe(2);
  });

  test('has_header in a response condition tests the upstream response, not the request', () => {
    const { send, upstream } = harness(...SEED_RESPONSE_BODY);
    // The request carries the header; the response does not: no replacement.
    const untouched = send({ headers: ['host', 'example.com', 'x-error-type', 'NotFound'] });
    respondWith(upstream.last, 404, ['content-length', '4'], 'nope');
    expect(untouched.eventTypes()).toEqual(['startResponse', 'write', 'end']);

    const replaced = send();
    respondWith(upstream.last, 404, ['x-error-type', 'NotFound', 'content-type', 'text/html', 'content-length', '4'], 'nope');
    const event = onlyResponse(replaced);
    expect(event.status).toBe(404);
    expect(headerMap(event.headers)['content-type']).toEqual(['application/json']);
    expect(bodyText(replaced)).toBe('{"error":"Resource not found","status":404}');
  });

  test('a small upstream body is drained, keeping its connection; the answer waits for its end', () => {
    const { send, upstream } = harness('response_body: {condition: {status: 500}, set_text: sorry}');
    const exchange = send();
    const dispatch = upstream.last;
    dispatch.respond(500, ['content-length', '5']);
    expect(exchange.events).toEqual([]);
    expect(dispatch.handler.onUpstreamData(bytes('stack'))).toBe(true);
    dispatch.handler.onUpstreamEnd();
    expect(dispatch.aborts).toBe(0);
    expect(bodyText(exchange)).toBe('sorry');
  });

  test('a large or unknown-length upstream body is cut at once', () => {
    const { send, upstream } = harness('response_body: {condition: {status: 500}, set_text: sorry}');
    for (const headers of [['content-length', String(10 * 1024 * 1024)], ['transfer-encoding', 'chunked']]) {
      const exchange = send();
      upstream.last.respond(500, headers);
      expect(upstream.last.aborts).toBe(1);
      expect(bodyText(exchange)).toBe('sorry');
    }
  });

  test('an upstream error while draining still answers with the replacement', () => {
    const { send, upstream, pipeline } = harness('response_body: {set_text: sorry}');
    const exchange = send();
    upstream.last.respond(200, ['content-length', '100']);
    upstream.last.handler.onUpstreamError({ kind: 'reset', requestSent: true, detail: 'reset' });
    expect(bodyText(exchange)).toBe('sorry');
    expect(pipeline.drain.count).toBe(0);
  });

  test('HEAD gets the replacement\'s head; the bodiless upstream answer is not cut', () => {
    const { send, upstream } = harness('response_body: {set_text: sorry}');
    const exchange = send({ method: 'HEAD' });
    upstream.last.respond(200, ['content-length', String(10 * 1024 * 1024)]);
    upstream.last.handler.onUpstreamEnd();
    expect(upstream.last.aborts).toBe(0);
    // The adapter sends no body for HEAD and announces the replacement's length.
    expect(onlyResponse(exchange)).toMatchObject({ status: 200 });
    expect(bodyText(exchange)).toBe('sorry');
  });

  test.each([204, 304])('a %i passes through without a body even when the rule matches everything', (status) => {
    const { send, upstream } = harness('response_body: {set_text: sorry}');
    const exchange = send();
    upstream.last.respond(status, []);
    upstream.last.handler.onUpstreamEnd();
    expect(exchange.eventTypes()).toEqual(['startResponse', 'end']);
  });

  test('prox\'s own errors on the route get the response rules, with status conditions on their status', () => {
    const { send, upstream } = harness(
      'retries: {attempts: 0}',
      'response_headers:',
      '  - add: {Strict-Transport-Security: max-age=63072000}',
      '  - condition: {status: "500-599"}',
      '    add: {X-Error: "yes"}',
      'response_body: {condition: {status: 502}, set_text: "Upstream down, try later"}',
    );
    const exchange = send();
    upstream.last.handler.onUpstreamError({ kind: 'connect_refused', requestSent: false, detail: 'refused' });
    const event = onlyResponse(exchange);
    expect(event.status).toBe(502);
    expect(headerMap(event.headers)).toEqual({
      'content-type': ['text/plain; charset=utf-8'],
      'strict-transport-security': ['max-age=63072000'],
      'x-error': ['yes'],
    });
    expect(bodyText(exchange)).toBe('Upstream down, try later');
  });

  test('a 504 from the route\'s deadline keeps prox\'s JSON body when no body rule matches it', () => {
    const { send, clock } = harness('timeout_secs: 1', 'response_headers: {add: {X-Edge: prox}}', 'response_body: {condition: {status: 502}, set_text: x}');
    const exchange = send();
    clock.advance(1_000);
    const event = onlyResponse(exchange);
    expect(event.status).toBe(504);
    expect(headerMap(event.headers)).toEqual({ 'content-type': ['application/json'], 'x-edge': ['prox'] });
    expect(bodyText(exchange)).toBe('{"error":"gateway_timeout","status":504}');
  });
});
