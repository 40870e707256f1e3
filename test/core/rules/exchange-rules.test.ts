import { ExchangeRules } from '../../../src/core/rules/exchange-rules';
import { RouteRules } from '../../../src/core/rules/route-rules';
import type { InboundRequest } from '../../../src/ports/http-server';
import { FakeClock } from '../support/fake-clock';
import { inboundRequest } from '../support/fakes';
import { routeWithRules } from './support';

const ALL_PLACEHOLDERS = [
  'request_headers:',
  '  add:',
  '    X-Client: "{client_ip}"',
  '    X-Ts: "{timestamp}"',
  '    X-Ts-Iso: "{timestamp_iso}"',
  '    X-Id: "{request_id}"',
  '    X-Host: "{host}"',
  '    X-Path: "{uri_path}"',
  '    X-Method: "{method}"',
  '    X-Route: "{route}"',
];

function exchangeRules(lines: string[], request: InboundRequest, path: string, trusted: (address: string) => boolean = () => false) {
  const clock = new FakeClock();
  const rules = RouteRules.compile(routeWithRules(...lines).rules, '/api', trusted);
  if (rules === null) throw new Error('expected rules');
  return { rules: new ExchangeRules(rules, request, path, 'req-7', clock), clock };
}

function headerMap(headers: readonly string[]): Record<string, string> {
  const map: Record<string, string> = {};
  for (let i = 0; i < headers.length; i += 2) map[headers[i]] = headers[i + 1];
  return map;
}

describe('exchange rules: placeholders', () => {
  const request = inboundRequest({
    method: 'PUT',
    hostname: 'shop.example.com',
    authority: 'shop.example.com:8080',
    remoteAddress: '10.0.0.2',
    headers: ['host', 'shop.example.com:8080', 'x-forwarded-for', '198.51.100.9'],
  });

  test('each placeholder gets its value for this exchange', () => {
    const { rules, clock } = exchangeRules(ALL_PLACEHOLDERS, request, '/api/items/1');
    const headers: string[] = [];
    rules.editUpstreamHeaders(headers);
    const nowSecs = Math.floor(clock.nowMs() / 1000);
    expect(headerMap(headers)).toEqual({
      'x-client': '10.0.0.2',
      'x-ts': String(nowSecs),
      'x-ts-iso': new Date(clock.nowMs()).toISOString(),
      'x-id': 'req-7',
      'x-host': 'shop.example.com',
      'x-path': '/api/items/1',
      'x-method': 'PUT',
      'x-route': '/api',
    });
  });

  test('{client_ip} is the address X-Forwarded-For names when the peer is a trusted proxy', () => {
    const { rules } = exchangeRules(ALL_PLACEHOLDERS, request, '/api', (address) => address === '10.0.0.2');
    const headers: string[] = [];
    rules.editUpstreamHeaders(headers);
    expect(headerMap(headers)['x-client']).toBe('198.51.100.9');
  });

  test('{timestamp} is taken once per exchange: the response carries the same value as the request', () => {
    const lines = ['request_headers: {add: {X-Ts: "{timestamp_iso}"}}', 'response_headers: {add: {X-Ts: "{timestamp_iso}"}}'];
    const { rules, clock } = exchangeRules(lines, request, '/api');
    const upstream: string[] = [];
    rules.editUpstreamHeaders(upstream);
    clock.advance(5_000);
    const client: string[] = [];
    rules.editClientHeaders(client, 200, [], null);
    expect(client).toEqual(upstream);
  });
});

describe('exchange rules: bodies', () => {
  test('a replaced request body gets its own framing headers; the client body\'s description goes', () => {
    const { rules } = exchangeRules(['request_body: {set_json: {a: 1}}'], inboundRequest({ method: 'POST' }), '/api');
    const headers = ['content-length', '999', 'content-type', 'text/xml', 'content-encoding', 'gzip', 'accept', '*/*'];
    rules.editUpstreamHeaders(headers);
    expect(headers).toEqual(['accept', '*/*', 'content-length', '7', 'content-type', 'application/json']);
    expect(new TextDecoder().decode(rules.requestBody!.bytes)).toBe('{"a":1}');
  });

  test('request header rules come after the body framing, so they may set the Content-Type', () => {
    const lines = ['request_body: {set_text: "héllo"}', 'request_headers: {add: {Content-Type: text/x-custom}}'];
    const { rules } = exchangeRules(lines, inboundRequest({ method: 'POST' }), '/api');
    const headers: string[] = [];
    rules.editUpstreamHeaders(headers);
    expect(headers).toEqual(['content-length', '6', 'content-type', 'text/x-custom']);
  });

  test('a request body rule whose condition does not match leaves the request alone', () => {
    const { rules } = exchangeRules(['request_body: {condition: {path_matches: /special}, set_text: x}'], inboundRequest(), '/api/plain');
    expect(rules.requestBody).toBeNull();
    const headers = ['content-length', '3'];
    rules.editUpstreamHeaders(headers);
    expect(headers).toEqual(['content-length', '3']);
  });

  test.each([204, 304])('a %i is never given a body', (status) => {
    const { rules } = exchangeRules(['response_body: {set_text: x}'], inboundRequest(), '/api');
    expect(rules.responseBodyFor(status, [])).toBeNull();
    expect(rules.responseBodyFor(200, [])).not.toBeNull();
  });

  test('the first body rule of a list whose condition matches wins', () => {
    const lines = ['response_body:', '  - {condition: {status: 404}, set_text: missing}', '  - {condition: {status: "400-499"}, set_text: client}', '  - {set_text: other}'];
    const { rules } = exchangeRules(lines, inboundRequest(), '/api');
    const text = (status: number): string => new TextDecoder().decode(rules.responseBodyFor(status, [])!.bytes);
    expect([text(404), text(403), text(200)]).toEqual(['missing', 'client', 'other']);
  });

  test('a replaced response drops the original body\'s type, coding, range, validators and digests', () => {
    const { rules } = exchangeRules(['response_body: {set_text: x}'], inboundRequest(), '/api');
    const upstream = ['content-type', 'text/html', 'content-encoding', 'br', 'etag', '"v1"', 'content-range', 'bytes 0-1/2', 'digest', 'sha=x', 'cache-control', 'no-store'];
    const headers = upstream.slice();
    const replacement = rules.responseBodyFor(200, upstream);
    rules.editClientHeaders(headers, 200, upstream, replacement);
    expect(headers).toEqual(['cache-control', 'no-store', 'content-type', 'text/plain; charset=utf-8']);
  });
});

describe('route rules', () => {
  test('a route without rules compiles to null', () => {
    expect(RouteRules.compile(routeWithRules().rules, '/api', () => false)).toBeNull();
  });

  test('a route with only response rules has no request stages', () => {
    const rules = RouteRules.compile(routeWithRules('response_headers: {add: {Server: Prox}}').rules, '/api', () => false)!;
    expect([rules.requestHeaders, rules.requestBody, rules.responseBody]).toEqual([null, null, null]);
    expect(rules.responseHeaders).not.toBeNull();
  });
});
