import type { HttpResponse } from 'uWebSockets.js';
import type { ListenSpec } from '../../src/ports/http-server';
import { writeHeaderList } from '../../src/adapters/hyper-express/header-writer';
import {
  HygieneVerdict,
  RequestFraming,
  hostnameOf,
  inspectRequest,
  isVerdict,
  withSingleContentLength,
} from '../../src/adapters/http-common/request-hygiene';

const LIMITS: ListenSpec['limits'] = { maxHeaderBytes: 2048, maxHeaders: 20, maxBodyBytes: 1024, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: null, maxConnectionsPerIp: null };

/** Flat header list from `[name, value]` pairs, names lower-cased as uWS hands them over. */
function headers(...pairs: [string, string][]): string[] {
  return pairs.flatMap(([name, value]) => [name.toLowerCase(), value]);
}

/** Header bytes as the adapter counts them: name + value + ": " + CRLF. */
function bytesOf(list: readonly string[]): number {
  let total = 0;
  for (let i = 0; i < list.length; i += 2) total += list[i].length + list[i + 1].length + 4;
  return total;
}

function inspect(list: string[], limits = LIMITS): RequestFraming | HygieneVerdict {
  return inspectRequest(list, bytesOf(list), limits);
}

const HOST: [string, string] = ['host', 'prox.test'];

describe('inspectRequest: rejections', () => {
  const cases: [string, string[], number, HygieneVerdict['code']][] = [
    // Content-Length
    ['two different Content-Length values', headers(HOST, ['content-length', '5'], ['content-length', '40']), 400, 'bad_request'],
    ['Content-Length values equal in number, not in text', headers(HOST, ['content-length', '5'], ['content-length', '05']), 400, 'bad_request'],
    ['an empty Content-Length', headers(HOST, ['content-length', '']), 400, 'bad_request'],
    ['a signed Content-Length', headers(HOST, ['content-length', '+5']), 400, 'bad_request'],
    ['a negative Content-Length', headers(HOST, ['content-length', '-1']), 400, 'bad_request'],
    ['a hexadecimal Content-Length', headers(HOST, ['content-length', '0x5']), 400, 'bad_request'],
    ['a Content-Length with trailing garbage', headers(HOST, ['content-length', '5abc']), 400, 'bad_request'],
    ['a Content-Length list', headers(HOST, ['content-length', '5, 5']), 400, 'bad_request'],
    ['a Content-Length with inner space', headers(HOST, ['content-length', '5 5']), 400, 'bad_request'],
    ['a Content-Length beyond safe integers', headers(HOST, ['content-length', '99999999999999999999']), 400, 'bad_request'],
    ['a Content-Length over max_body_bytes', headers(HOST, ['content-length', '1025']), 413, 'payload_too_large'],
    // Transfer-Encoding
    ['Transfer-Encoding: xchunked', headers(HOST, ['transfer-encoding', 'xchunked']), 501, 'not_implemented'],
    ['Transfer-Encoding: chunked, gzip', headers(HOST, ['transfer-encoding', 'chunked, gzip']), 400, 'bad_request'],
    ['Transfer-Encoding: gzip', headers(HOST, ['transfer-encoding', 'gzip']), 400, 'bad_request'],
    ['Transfer-Encoding: gzip, chunked', headers(HOST, ['transfer-encoding', 'gzip, chunked']), 501, 'not_implemented'],
    ['Transfer-Encoding: chunked, chunked', headers(HOST, ['transfer-encoding', 'chunked, chunked']), 501, 'not_implemented'],
    ['Transfer-Encoding with an empty coding', headers(HOST, ['transfer-encoding', 'chunked,']), 400, 'bad_request'],
    ['an empty Transfer-Encoding', headers(HOST, ['transfer-encoding', '']), 400, 'bad_request'],
    ['Transfer-Encoding: identity', headers(HOST, ['transfer-encoding', 'identity']), 400, 'bad_request'],
    ['Transfer-Encoding with parameters', headers(HOST, ['transfer-encoding', 'chunked;x=1']), 501, 'not_implemented'],
    ['duplicated Transfer-Encoding lines', headers(HOST, ['transfer-encoding', 'chunked'], ['transfer-encoding', 'chunked']), 400, 'bad_request'],
    ['Transfer-Encoding with Content-Length', headers(HOST, ['transfer-encoding', 'chunked'], ['content-length', '5']), 400, 'bad_request'],
    ['Content-Length with Transfer-Encoding', headers(HOST, ['content-length', '0'], ['transfer-encoding', 'chunked']), 400, 'bad_request'],
    // Host
    ['no Host', headers(['accept', '*/*']), 400, 'bad_request'],
    ['two Host lines', headers(HOST, ['host', 'other.test']), 400, 'bad_request'],
    ['two identical Host lines', headers(HOST, HOST), 400, 'bad_request'],
    ['an empty Host', headers(['host', '']), 400, 'bad_request'],
    ['a Host with a space', headers(['host', 'a b']), 400, 'bad_request'],
    ['a Host with a path', headers(['host', 'a.test/evil']), 400, 'bad_request'],
    ['a Host with userinfo', headers(['host', 'user@a.test']), 400, 'bad_request'],
    ['a Host with a non-numeric port', headers(['host', 'a.test:http']), 400, 'bad_request'],
    ['a Host with an empty port', headers(['host', 'a.test:']), 400, 'bad_request'],
    ['a Host with a six-digit port', headers(['host', 'a.test:123456']), 400, 'bad_request'],
    ['a Host with an unclosed IPv6 bracket', headers(['host', '[::1']), 400, 'bad_request'],
    ['a Host with a bare IPv6 address', headers(['host', '::1']), 400, 'bad_request'],
    ['a Host with a tab', headers(['host', 'a\tb']), 400, 'bad_request'],
    // Header limits
    ['more than max_headers fields', headers(HOST, ...Array.from({ length: 20 }, (_, i): [string, string] => [`x-h${i}`, 'v'])), 431, 'request_header_fields_too_large'],
    ['a header block over max_header_bytes', headers(HOST, ['x-big', 'a'.repeat(2048)]), 431, 'request_header_fields_too_large'],
  ];

  it.each(cases)('rejects %s', (name, list, status, code) => {
    const result = inspect(list);
    expect(isVerdict(result)).toBe(true);
    expect(result).toMatchObject({ status, code });
    expect((result as HygieneVerdict).reason.length).toBeGreaterThan(0);
  });

  it('checks header limits before anything else (a huge block is not parsed further)', () => {
    const list = headers(['x-big', 'a'.repeat(5000)]);
    expect(inspect(list)).toMatchObject({ status: 431 });
  });

  it('counts fields, not list entries, against max_headers', () => {
    const exactly = headers(HOST, ...Array.from({ length: 19 }, (_, i): [string, string] => [`x-h${i}`, 'v']));
    expect(isVerdict(inspect(exactly))).toBe(false);
    const oneMore = [...exactly, 'x-extra', 'v'];
    expect(inspect(oneMore)).toMatchObject({ status: 431 });
  });

  it('uses the byte count it is given for max_header_bytes', () => {
    const list = headers(HOST);
    expect(isVerdict(inspectRequest(list, 2048, LIMITS))).toBe(false);
    expect(inspectRequest(list, 2049, LIMITS)).toMatchObject({ status: 431 });
  });
});

describe('inspectRequest: accepted framing', () => {
  const cases: [string, string[], Partial<RequestFraming>][] = [
    ['a bodiless GET', headers(HOST), { contentLength: null, chunked: false, host: 'prox.test', connectionClose: false }],
    ['a Content-Length body', headers(HOST, ['content-length', '5']), { contentLength: 5, chunked: false }],
    ['Content-Length: 0 as no body', headers(HOST, ['content-length', '0']), { contentLength: null, chunked: false }],
    ['a body right at max_body_bytes', headers(HOST, ['content-length', '1024']), { contentLength: 1024 }],
    ['a leading-zero Content-Length', headers(HOST, ['content-length', '0005']), { contentLength: 5 }],
    ['repeated identical Content-Length', headers(HOST, ['content-length', '5'], ['content-length', '5']), { contentLength: 5, repeatedContentLength: true }],
    ['a single Content-Length (not repeated)', headers(HOST, ['content-length', '5']), { repeatedContentLength: false }],
    ['Transfer-Encoding: chunked', headers(HOST, ['transfer-encoding', 'chunked']), { contentLength: null, chunked: true }],
    ['Transfer-Encoding: Chunked (case-insensitive)', headers(HOST, ['transfer-encoding', 'Chunked']), { chunked: true }],
    ['Transfer-Encoding with surrounding spaces', headers(HOST, ['transfer-encoding', ' chunked ']), { chunked: true }],
    ['Connection: close', headers(HOST, ['connection', 'close']), { connectionClose: true }],
    ['Connection: Close in a list', headers(HOST, ['connection', 'keep-alive, Close']), { connectionClose: true }],
    ['Connection: closed (not close)', headers(HOST, ['connection', 'closed']), { connectionClose: false }],
    ['Connection: keep-alive', headers(HOST, ['connection', 'keep-alive']), { connectionClose: false }],
    ['a Host with a port', headers(['host', 'prox.test:8080']), { host: 'prox.test:8080' }],
    ['an IPv4 Host', headers(['host', '127.0.0.1:80']), { host: '127.0.0.1:80' }],
    ['an IPv6 Host', headers(['host', '[::1]:8080']), { host: '[::1]:8080' }],
    ['a Host with sub-delims and percent-encoding', headers(['host', "a-b_c.~%41!$&'()*+,;="]), { host: "a-b_c.~%41!$&'()*+,;=" }],
    ['exactly max_headers fields', headers(HOST, ...Array.from({ length: 19 }, (_, i): [string, string] => [`x-h${i}`, 'v'])), { chunked: false }],
  ];

  it.each(cases)('accepts %s', (name, list, expected) => {
    const result = inspect(list);
    expect(isVerdict(result)).toBe(false);
    expect(result).toMatchObject(expected);
  });

  it('has no body limit when max_body_bytes is null', () => {
    const result = inspect(headers(HOST, ['content-length', String(2 ** 40)]), { ...LIMITS, maxBodyBytes: null });
    expect(result).toMatchObject({ contentLength: 2 ** 40 });
  });
});

describe('withSingleContentLength', () => {
  it('keeps the first Content-Length and every other header in order', () => {
    const list = headers(HOST, ['content-length', '5'], ['x-a', '1'], ['content-length', '5'], ['x-b', '2']);
    expect(withSingleContentLength(list)).toEqual(headers(HOST, ['content-length', '5'], ['x-a', '1'], ['x-b', '2']));
  });

  it('leaves a list without Content-Length alone', () => {
    const list = headers(HOST, ['x-a', '1']);
    expect(withSingleContentLength(list)).toEqual(list);
  });
});

describe('hostnameOf', () => {
  it.each([
    ['prox.test', 'prox.test'],
    ['Prox.Test:8080', 'prox.test'],
    ['127.0.0.1:80', '127.0.0.1'],
    ['[::1]:8080', '[::1]'],
    ['[FE80::1]', '[fe80::1]'],
  ])('%s → %s', (host, expected) => {
    expect(hostnameOf(host)).toBe(expected);
  });
});

/** Records what the header writer hands to uWS. */
class RecordingResponse {
  readonly written: [string | Buffer, string | Buffer][] = [];

  writeHeader(name: string | Buffer, value: string | Buffer): this {
    this.written.push([name, value]);
    return this;
  }

  asUws(): HttpResponse {
    return this as unknown as HttpResponse;
  }
}

describe('writeHeaderList', () => {
  it('writes plain ASCII headers as given', () => {
    const res = new RecordingResponse();
    writeHeaderList(res.asUws(), ['content-type', 'text/plain', 'x-a', '1']);
    expect(res.written).toEqual([
      ['content-type', 'text/plain'],
      ['x-a', '1'],
    ]);
  });

  it.each([
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['CRLF with an injected header', 'a\r\nSet-Cookie: evil=1'],
    ['NUL', 'a\0b'],
    ['CR next to non-ASCII', 'caf\u00e9\r'],
  ])('never writes a value containing %s', (name, value) => {
    const res = new RecordingResponse();
    writeHeaderList(res.asUws(), ['x-before', '1', 'x-bad', value, 'x-after', '2']);
    expect(res.written).toEqual([
      ['x-before', '1'],
      ['x-after', '2'],
    ]);
  });

  it.each([
    ['CR', 'x-bad\r'],
    ['LF', 'x-\nbad'],
    ['NUL', 'x-bad\0'],
  ])('never writes a name containing %s', (name, headerName) => {
    const res = new RecordingResponse();
    writeHeaderList(res.asUws(), [headerName, 'v', 'x-after', '2']);
    expect(res.written).toEqual([['x-after', '2']]);
  });

  it('writes latin1 values back as their original bytes, not as UTF-8', () => {
    const res = new RecordingResponse();
    // 'café' as received: one char per byte, 0xE9 for é.
    writeHeaderList(res.asUws(), ['x-name', 'caf\u00e9']);
    expect(res.written).toHaveLength(1);
    const [name, value] = res.written[0];
    expect(Buffer.isBuffer(name) ? name.toString('latin1') : name).toBe('x-name');
    expect(Buffer.isBuffer(value)).toBe(true);
    expect([...(value as Buffer)]).toEqual([0x63, 0x61, 0x66, 0xe9]);
  });

  it('keeps duplicate headers such as Set-Cookie', () => {
    const res = new RecordingResponse();
    writeHeaderList(res.asUws(), ['set-cookie', 'a=1', 'set-cookie', 'b=2']);
    expect(res.written).toEqual([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
  });
});
