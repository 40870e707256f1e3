import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest, IncomingMessage, ServerResponse, Agent } from 'node:http';
import { deadAddress, echoHandler, startBackend, TestBackend } from '../support/backends';
import { headerValues, json, send } from '../support/http-client';
import { ProxProcess, runProxCli, startProx, writeTempConfig } from '../support/prox-process';

const MIB = 1024 * 1024;
/** A body with a pattern, so any reordering or loss shows in its hash. */
const BIG_BODY = Buffer.alloc(8 * MIB);
for (let i = 0; i < BIG_BODY.length; i++) BIG_BODY[i] = (i * 31 + (i >> 12)) & 0xff;
const BIG_HASH = createHash('sha256').update(BIG_BODY).digest('hex');

/** Streams `body` in 64 KiB pieces with backpressure. */
function streamBody(res: ServerResponse, body: Buffer): void {
  let offset = 0;
  const pump = (): void => {
    while (offset < body.length) {
      const piece = body.subarray(offset, offset + 64 * 1024);
      offset += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
    res.end();
  };
  pump();
}

/** Paths (after any rewrite) pick the answer; everything else is echoed. */
function backendHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = (req.url ?? '').split('?')[0]!;
  const finish = (status: number, headers: Record<string, string>, body: string | Buffer): void => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-length': String(Buffer.byteLength(body)), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
    });
  };
  if (path.endsWith('/notfound')) return finish(404, { 'x-error-type': 'NotFound', 'x-powered-by': 'Express', 'content-type': 'text/html' }, '<h1>nope</h1>');
  if (path.endsWith('/small-error')) return finish(500, { 'content-type': 'text/html', etag: '"e1"' }, '<h1>stack trace</h1>');
  if (path.endsWith('/flagged')) return finish(200, { 'x-upstream-flag': '1' }, 'flagged');
  if (path.endsWith('/big') || path.endsWith('/big-error')) {
    req.resume();
    req.on('end', () => {
      res.writeHead(path.endsWith('/big') ? 200 : 500, { 'content-length': String(BIG_BODY.length), 'content-type': 'application/octet-stream' });
      streamBody(res, BIG_BODY);
    });
    return;
  }
  if (path.endsWith('/no-content')) return finish(204, {}, '');
  echoHandler(req, res);
}

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The seed's /proxy route, pointed at a local backend (its rate limit is not active yet and left out). */
function seedRoute(backend: string): string {
  return `
  "/proxy":
    type: "proxy"
    target: "${backend}"
    path_rewrite: "/anything"
    request_headers:
      add:
        "X-My-Custom-Header": "MyValue"
        "X-Forwarded-By": "Prox"
        "X-Real-IP": "{client_ip}"
      remove: ["User-Agent", "Referer"]
    response_headers:
      add:
        "Server": "Prox"
      remove: ["X-Powered-By"]
    request_body:
      condition:
        path_matches: "/special"
      set_text: "This is a modified request body."
    response_body:
      condition:
        has_header:
          name: "X-Error-Type"
          value_matches: "NotFound"
      set_json:
        error: "Resource not found"
        message: "The requested resource was not found on the server."
        status: 404
`;
}

function rulesRoute(backend: string): string {
  return `
  "/rules":
    type: load_balance
    targets: ["${backend}"]
    request_headers:
      - add:
          X-Ip: "{client_ip}"
          X-Ts: "{timestamp}"
          X-Ts-Iso: "{timestamp_iso}"
          X-Id: "{request_id}"
          X-Host: "{host}"
          X-Path: "{uri_path}"
          X-Method: "{method}"
          X-Route: "{route}"
          X-Braces: "{{literal}} {method}"
          X-Replaced: new
        append:
          X-Multi: second
        remove: [X-Drop]
      - condition:
          method_is: POST
          path_matches: "/cond$"
          has_header: {name: X-Flag, value_matches: "^on$"}
        add: {X-Cond: hit}
    response_headers:
      - add: {X-Frame-Options: DENY}
      - condition: {status: "500-599"}
        add: {X-Server-Error: "yes"}
      - condition: {has_header: {name: X-Upstream-Flag}}
        add: {X-Saw-Upstream-Flag: "yes"}
        remove: [X-Upstream-Flag]
    response_body:
      condition: {status: 500}
      set_text: "sorry"
`;
}

function deadRoute(dead: string): string {
  return `
  "/dead":
    type: proxy
    target: "${dead}"
    retries: {attempts: 0}
    response_headers: {add: {X-Frame-Options: DENY}}
    response_body:
      condition: {status: 502}
      set_json: {error: "backend down"}
`;
}

describe('header and body rules against real backends', () => {
  let backend: TestBackend;
  let prox: ProxProcess;
  let trustingProx: ProxProcess;

  beforeAll(async () => {
    backend = await startBackend(backendHandler);
    const dead = await deadAddress();
    const routes = seedRoute(backend.url) + rulesRoute(backend.url) + deadRoute(dead);
    prox = await startProx(`listen_addr: "127.0.0.1:0"\nroutes:${routes}`);
    trustingProx = await startProx(`listen_addr: "127.0.0.1:0"\ntrusted_proxies: [loopback]\nroutes:${rulesRoute(backend.url)}`);
  });

  afterAll(async () => {
    await prox?.stop();
    await trustingProx?.stop();
    await backend?.close();
  });

  const lastReceived = () => backend.received[backend.received.length - 1]!;

  describe('the seed example /proxy route', () => {
    test('request headers: add overwrites, remove drops, {client_ip} is the client', async () => {
      const response = await send(`${prox.baseUrl}/proxy/headers`, {
        headers: { 'X-My-Custom-Header': 'OriginalValue', 'User-Agent': 'curl/8', Referer: 'http://r', Accept: '*/*' },
      });
      expect(response.status).toBe(200);
      const seen = lastReceived();
      expect(seen.url).toBe('/anything/headers');
      expect(headerValues(seen.rawHeaders, 'x-my-custom-header')).toEqual(['MyValue']);
      expect(seen.headers['x-forwarded-by']).toBe('Prox');
      expect(seen.headers['x-real-ip']).toBe('127.0.0.1');
      expect(seen.headers['user-agent']).toBeUndefined();
      expect(seen.headers['referer']).toBeUndefined();
      expect(seen.headers['accept']).toBe('*/*');
    });

    test('a POST under /special sends the replacement text with its own length and type', async () => {
      const response = await send(`${prox.baseUrl}/proxy/special/post`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: '{"original": "data"}',
      });
      const echo = json<Echo>(response);
      expect(echo.body).toBe('This is a modified request body.');
      expect(echo.headers['content-length']).toBe('32');
      expect(echo.headers['content-type']).toBe('text/plain; charset=utf-8');
    });

    test('a POST elsewhere keeps its own body', async () => {
      const echo = json<Echo>(await send(`${prox.baseUrl}/proxy/post`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"original": "data"}' }));
      expect(echo.body).toBe('{"original": "data"}');
      expect(echo.headers['content-type']).toBe('application/json');
    });

    test('response headers: Server set, X-Powered-By removed', async () => {
      const response = await send(`${prox.baseUrl}/proxy/notfound`, { method: 'HEAD' });
      expect(response.headers['server']).toBe('Prox');
      expect(response.headers['x-powered-by']).toBeUndefined();
    });

    test('a response the service marks X-Error-Type: NotFound gets the JSON replacement, exactly framed', async () => {
      const response = await send(`${prox.baseUrl}/proxy/notfound`);
      const expected = JSON.stringify({
        error: 'Resource not found',
        message: 'The requested resource was not found on the server.',
        status: 404,
      });
      expect(response.status).toBe(404);
      expect(response.body).toBe(expected);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.headers['content-length']).toBe(String(Buffer.byteLength(expected)));
      expect(response.headers['server']).toBe('Prox');
    });

    test('has_header looks at the response: a request carrying X-Error-Type changes nothing', async () => {
      const response = await send(`${prox.baseUrl}/proxy/get`, { headers: { 'X-Error-Type': 'NotFound' } });
      expect(response.status).toBe(200);
      expect(json<Echo>(response).url).toBe('/anything/get');
    });
  });

  describe('request header rules', () => {
    test('every placeholder, as the backend sees it', async () => {
      const before = Math.floor(Date.now() / 1000);
      const response = await send(`${prox.baseUrl}/rules/a/b?q=1`, { method: 'PUT', headers: { Host: 'Shop.Example.com:8080', 'X-Forwarded-For': '198.51.100.9' }, body: 'x' });
      const after = Math.floor(Date.now() / 1000);
      const seen = lastReceived().headers;
      expect(seen['x-ip']).toBe('127.0.0.1'); // no trusted proxies: the forged X-Forwarded-For is ignored
      const ts = Number(seen['x-ts']);
      expect(ts).toBeGreaterThanOrEqual(before);
      expect(ts).toBeLessThanOrEqual(after);
      expect(Math.floor(Date.parse(String(seen['x-ts-iso'])) / 1000)).toBe(ts);
      expect(seen['x-id']).toBe(response.headers['x-request-id']);
      expect(seen['x-host']).toBe('shop.example.com');
      expect(seen['x-path']).toBe('/rules/a/b');
      expect(seen['x-method']).toBe('PUT');
      expect(seen['x-route']).toBe('/rules');
      expect(seen['x-braces']).toBe('{literal} PUT');
    });

    test('{client_ip} follows X-Forwarded-For through a trusted proxy', async () => {
      await send(`${trustingProx.baseUrl}/rules/x`, { headers: { 'X-Forwarded-For': '198.51.100.9' } });
      expect(lastReceived().headers['x-ip']).toBe('198.51.100.9');
    });

    test('add replaces, append keeps, remove drops (any letter case)', async () => {
      await send(`${prox.baseUrl}/rules/x`, { headers: { 'x-replaced': 'old', 'X-Multi': 'first', 'X-DROP': 'secret' } });
      const seen = lastReceived();
      expect(headerValues(seen.rawHeaders, 'x-replaced')).toEqual(['new']);
      expect(headerValues(seen.rawHeaders, 'x-multi')).toEqual(['first', 'second']);
      expect(headerValues(seen.rawHeaders, 'x-drop')).toEqual([]);
    });

    test.each<[string, string, Record<string, string>, boolean]>([
      ['POST', '/rules/cond', { 'X-Flag': 'on' }, true],
      ['GET', '/rules/cond', { 'X-Flag': 'on' }, false],
      ['POST', '/rules/cond/more', { 'X-Flag': 'on' }, false],
      ['POST', '/rules/cond', { 'X-Flag': 'off' }, false],
      ['POST', '/rules/cond', {}, false],
    ])('condition: %s %s %j applies: %s', async (method, path, headers, applies) => {
      await send(`${prox.baseUrl}${path}`, { method, headers, body: method === 'POST' ? 'x' : undefined });
      expect(lastReceived().headers['x-cond']).toBe(applies ? 'hit' : undefined);
    });
  });

  describe('response header rules', () => {
    test('apply to every answer; status and upstream-header conditions pick theirs', async () => {
      const ok = await send(`${prox.baseUrl}/rules/x`);
      expect(ok.headers['x-frame-options']).toBe('DENY');
      expect(ok.headers['x-server-error']).toBeUndefined();
      expect(ok.headers['x-saw-upstream-flag']).toBeUndefined();

      const flagged = await send(`${prox.baseUrl}/rules/flagged`);
      expect(flagged.headers['x-saw-upstream-flag']).toBe('yes');
      expect(flagged.headers['x-upstream-flag']).toBeUndefined();

      // The request carries the flag, the response does not: has_header tests the response.
      const requestFlag = await send(`${prox.baseUrl}/rules/x`, { headers: { 'X-Upstream-Flag': '1' } });
      expect(requestFlag.headers['x-saw-upstream-flag']).toBeUndefined();
    });

    test('prox\'s own 502 on the route gets the response rules too', async () => {
      const response = await send(`${prox.baseUrl}/dead/x`);
      expect(response.status).toBe(502);
      expect(response.headers['x-frame-options']).toBe('DENY');
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body).toBe('{"error":"backend down"}');
      expect(response.headers['content-length']).toBe('24');
    });
  });

  describe('body replacement', () => {
    test('a small 500 is replaced, with exact length and type, validators dropped', async () => {
      const response = await send(`${prox.baseUrl}/rules/small-error`);
      expect(response.status).toBe(500);
      expect(response.body).toBe('sorry');
      expect(response.headers['content-length']).toBe('5');
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.headers['etag']).toBeUndefined();
      expect(response.headers['x-server-error']).toBe('yes');
    });

    test('HEAD on a replaced response gets the replacement\'s head and no body', async () => {
      const response = await send(`${prox.baseUrl}/rules/small-error`, { method: 'HEAD' });
      expect(response.status).toBe(500);
      expect(response.headers['content-length']).toBe('5');
      expect(response.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(response.body).toBe('');
    });

    test('a large replaced upstream body is cut, and the route keeps working on a reused connection', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        const get = async (path: string): Promise<{ status: number; body: Buffer; headers: IncomingMessage['headers'] }> => {
          const req = httpRequest(`${prox.baseUrl}${path}`, { agent });
          req.end();
          const [res] = (await once(req, 'response')) as [IncomingMessage];
          const chunks: Buffer[] = [];
          for await (const chunk of res) chunks.push(chunk as Buffer);
          return { status: res.statusCode!, body: Buffer.concat(chunks), headers: res.headers };
        };
        const replaced = await get('/rules/big-error');
        expect([replaced.status, replaced.body.toString()]).toEqual([500, 'sorry']);
        for (let i = 0; i < 3; i++) {
          const next = await get('/rules/x');
          expect(next.status).toBe(200);
          expect(json<Echo>({ status: 200, headers: {}, rawHeaders: [], body: next.body.toString() }).url).toBe('/rules/x');
        }
        const big = await get('/rules/big');
        expect(big.status).toBe(200);
        expect(big.headers['content-length']).toBe(String(BIG_BODY.length));
        expect(createHash('sha256').update(big.body).digest('hex')).toBe(BIG_HASH);
      } finally {
        agent.destroy();
      }
    });

    test('204 is never given a body', async () => {
      const response = await send(`${prox.baseUrl}/rules/no-content`);
      expect(response.status).toBe(204);
      expect(response.body).toBe('');
    });

    test('an unmatched large upload streams through byte for byte', async () => {
      const backendHash = new Promise<string>((resolve) => {
        backend.server.once('request', (req: IncomingMessage) => {
          const hash = createHash('sha256');
          req.on('data', (chunk: Buffer) => hash.update(chunk));
          req.on('end', () => resolve(hash.digest('hex')));
        });
      });
      const response = await send(`${prox.baseUrl}/proxy/upload`, { method: 'POST', body: BIG_BODY });
      expect(response.status).toBe(200);
      expect(await backendHash).toBe(BIG_HASH);
    });

    test('a large original request body is discarded and the replacement sent', async () => {
      const response = await send(`${prox.baseUrl}/proxy/special/upload`, { method: 'POST', body: BIG_BODY });
      expect(response.status).toBe(200);
      const echo = json<Echo>(response);
      expect(echo.body).toBe('This is a modified request body.');
      expect(echo.headers['content-length']).toBe('32');
    });

    test('a slowly sent original body is read at the client\'s pace, then the replacement goes upstream', async () => {
      const pieces = 16;
      const piece = Buffer.alloc(64 * 1024, 'a');
      const req = httpRequest(`${prox.baseUrl}/proxy/special/slow`, {
        method: 'POST',
        agent: false,
        headers: { 'content-length': String(pieces * piece.length) },
      });
      const response = once(req, 'response') as Promise<[IncomingMessage]>;
      // Each piece waits until the socket drained: prox keeps reading a body it throws away.
      for (let i = 0; i < pieces; i++) {
        if (!req.write(piece)) await once(req, 'drain');
      }
      req.end();
      const [res] = await response;
      const chunks: Buffer[] = [];
      for await (const chunk of res) chunks.push(chunk as Buffer);
      expect(res.statusCode).toBe(200);
      expect(json<Echo>({ status: 200, headers: {}, rawHeaders: [], body: Buffer.concat(chunks).toString() }).body).toBe('This is a modified request body.');
    });

    test('a small original body on a kept-alive connection: the next request on it works', async () => {
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (const path of ['/proxy/special/one', '/proxy/two']) {
          const req = httpRequest(`${prox.baseUrl}${path}`, { method: 'POST', agent, headers: { 'content-type': 'text/plain' } });
          req.end('original');
          const [res] = (await once(req, 'response')) as [IncomingMessage];
          const chunks: Buffer[] = [];
          for await (const chunk of res) chunks.push(chunk as Buffer);
          const echo = JSON.parse(Buffer.concat(chunks).toString()) as Echo;
          expect(echo.body).toBe(path.includes('special') ? 'This is a modified request body.' : 'original');
        }
      } finally {
        agent.destroy();
      }
    });
  });
});

describe('prox validate on header and body rules', () => {
  test.each<[string, string, RegExp]>([
    ['unknown placeholder', '    request_headers: {add: {X-Real-IP: "{clientip}"}}', /error .*unknown placeholder \{clientip\}[\s\S]*did you mean \{client_ip\}/],
    ['bad regex', '    request_body: {condition: {path_matches: "(("}, set_text: x}', /error .*invalid regular expression/],
    ['forbidden header', '    response_headers: {remove: [Transfer-Encoding]}', /error .*header rules cannot remove Transfer-Encoding/],
  ])('%s', async (_name, line, expected) => {
    const file = writeTempConfig(['listen_addr: "127.0.0.1:0"', 'routes:', '  /x:', '    type: proxy', '    target: "http://127.0.0.1:9"', line].join('\n') + '\n');
    const result = await runProxCli(['validate', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`${file}:6:`);
    expect(result.stdout).toMatch(expected);
  });
});
