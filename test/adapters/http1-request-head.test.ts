import { serializeRequestHead } from '../../src/adapters/http1-client/request-head';
import type { BodySource } from '../../src/ports/body';
import type { UpstreamRequest } from '../../src/ports/upstream-client';

const body: BodySource = { start: () => undefined, pause: () => undefined, resume: () => undefined };

function request(overrides: Partial<UpstreamRequest>): UpstreamRequest {
  return {
    origin: 'http://127.0.0.1:8080',
    poolKey: 'http://127.0.0.1:8080',
    tls: null,
    method: 'GET',
    pathAndQuery: '/a?b=c',
    headers: ['host', 'example.com', 'x-one', '1'],
    body: null,
    connectTimeoutMs: 1000,
    headersTimeoutMs: 1000,
    bodyTimeoutMs: 1000,
    ...overrides,
  };
}

describe('serializeRequestHead', () => {
  it('writes the request line and the headers as given, ending with an empty line', () => {
    expect(serializeRequestHead(request({}))).toEqual({ text: 'GET /a?b=c HTTP/1.1\r\nhost: example.com\r\nx-one: 1\r\n\r\n', contentLength: null });
  });

  it('frames a body without content-length as chunked, and keeps a declared length', () => {
    expect(serializeRequestHead(request({ method: 'POST', body }))).toEqual({ text: 'POST /a?b=c HTTP/1.1\r\nhost: example.com\r\nx-one: 1\r\ntransfer-encoding: chunked\r\n\r\n', contentLength: null });
    expect(serializeRequestHead(request({ method: 'PUT', body, headers: ['content-length', '12'] }))).toEqual({ text: 'PUT /a?b=c HTTP/1.1\r\ncontent-length: 12\r\n\r\n', contentLength: 12 });
  });

  it('declares an empty body for POST, PUT and PATCH without one, not for GET', () => {
    expect((serializeRequestHead(request({ method: 'PATCH', headers: [] })) as { text: string }).text).toBe('PATCH /a?b=c HTTP/1.1\r\ncontent-length: 0\r\n\r\n');
    expect((serializeRequestHead(request({ method: 'DELETE', headers: [] })) as { text: string }).text).toBe('DELETE /a?b=c HTTP/1.1\r\n\r\n');
  });

  it('refuses what would split the message: CR, LF or NUL in a value, a space in the target, a bad length', () => {
    expect(serializeRequestHead(request({ headers: ['x-evil', 'a\r\nx-injected: 1'] }))).toBe('header x-evil has a CR, LF or NUL in its value');
    expect(serializeRequestHead(request({ headers: ['x-evil', 'a\0b'] }))).toBe('header x-evil has a CR, LF or NUL in its value');
    expect(serializeRequestHead(request({ pathAndQuery: '/a b' }))).toBe('the request target has a character HTTP/1.1 does not allow');
    expect(serializeRequestHead(request({ pathAndQuery: '/\u0100' }))).toBe('the request target has a character HTTP/1.1 does not allow');
    expect(serializeRequestHead(request({ body, headers: ['content-length', '1e3'] }))).toBe('content-length is not a number');
  });
});
