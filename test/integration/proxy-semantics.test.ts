import { request as httpRequest, IncomingMessage } from 'node:http';
import { once } from 'node:events';
import { deadAddress, echoHandler, startBackend, startRawBackend, TestBackend } from '../support/backends';
import { headerValues, json, send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';
import { rawRequest, statusCodes } from '../support/raw-client';

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[]>;
  body: string;
}

describe('proxying through a real prox process', () => {
  let a: TestBackend;
  let b: TestBackend;
  let cookies: TestBackend;
  let prox: ProxProcess;
  let refused: string;

  beforeAll(async () => {
    a = await startBackend((req, res) => echoWithName('A', req, res));
    b = await startBackend((req, res) => echoWithName('B', req, res));
    cookies = await startBackend((req, res) => {
      res.setHeader('set-cookie', ['a=1; Path=/', 'b=2; HttpOnly']);
      res.setHeader('keep-alive', 'timeout=5');
      res.setHeader('connection', 'x-internal');
      res.setHeader('x-internal', 'secret');
      res.end('ok');
    });
    refused = await deadAddress();
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
trusted_proxies: ["10.0.0.0/8"]
routes:
  "/api": { type: proxy, target: "${a.url}", path_rewrite: "/v2" }
  "/api/v1": { type: proxy, target: "${b.url}", strip_prefix: true }
  "/balance": { type: load_balance, targets: ["${a.url}", "${b.url}"], strategy: round_robin }
  "/cookies": { type: proxy, target: "${cookies.url}" }
  "/keep-host": { type: proxy, target: "${a.url}", preserve_host: true }
  "/based": { type: proxy, target: "${a.url}/base" }
  "/down": { type: proxy, target: "${refused}" }
  "/old": { type: redirect, target: "https://example.com/new", status_code: 301 }
  "/moved": { type: redirect, target: "/api" }
  "shop.example.com/": { type: proxy, target: "${b.url}" }
  "*.example.com/": { type: proxy, target: "${a.url}" }
`);
  });

  afterAll(async () => {
    await prox.stop();
    await Promise.all([a.close(), b.close(), cookies.close()]);
  });

  it('rewrites the matched prefix and keeps the query string', async () => {
    const echo = json<Echo>(await send(`${prox.baseUrl}/api/users?q=1&r=a%20b`));
    expect(echo.url).toBe('/v2/users?q=1&r=a%20b');
    expect(echo.headers['x-backend']).toBe('A');
  });

  it('matches the longest prefix on segment boundaries', async () => {
    expect(json<Echo>(await send(`${prox.baseUrl}/api/v1/users`)).url).toBe('/users');
    expect(json<Echo>(await send(`${prox.baseUrl}/api/v1`)).url).toBe('/');
    expect((await send(`${prox.baseUrl}/apiary`)).status).toBe(404);
  });

  it('answers an unmatched path with a short JSON 404', async () => {
    const response = await send(`${prox.baseUrl}/nothing/here`);
    expect(response.status).toBe(404);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ error: 'no_route', status: 404 });
  });

  it('routes by host: exact host, then wildcard, then host-less', async () => {
    const exact = await send(`${prox.baseUrl}/anything`, { headers: { host: 'shop.example.com' } });
    expect(json<Echo>(exact).headers['x-backend']).toBe('B');
    const wildcard = await send(`${prox.baseUrl}/anything`, { headers: { host: 'Blog.Example.com:8080' } });
    expect(json<Echo>(wildcard).headers['x-backend']).toBe('A');
    const hostless = await send(`${prox.baseUrl}/api/x`, { headers: { host: 'other.test' } });
    expect(json<Echo>(hostless).url).toBe('/v2/x');
  });

  it('balances round robin across targets, continuing across requests', async () => {
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) seen.push(String(json<Echo>(await send(`${prox.baseUrl}/balance/x`)).headers['x-backend']));
    expect(seen).toEqual(['A', 'B', 'A', 'B', 'A', 'B']);
  });

  it('redirects with the configured status, defaulting to 307', async () => {
    const permanent = await send(`${prox.baseUrl}/old/page`);
    expect(permanent.status).toBe(301);
    expect(permanent.headers.location).toBe('https://example.com/new');
    const temporary = await send(`${prox.baseUrl}/moved`);
    expect(temporary.status).toBe(307);
    expect(temporary.headers.location).toBe('/api');
  });

  it('sets Host to the upstream unless preserve_host, and prefixes the target base path', async () => {
    const rewritten = json<Echo>(await send(`${prox.baseUrl}/api/x`, { headers: { host: 'public.test' } }));
    expect(rewritten.headers.host).toBe(new URL(a.url).host);
    const preserved = json<Echo>(await send(`${prox.baseUrl}/keep-host/x`, { headers: { host: 'public.test' } }));
    expect(preserved.headers.host).toBe('public.test');
    expect(json<Echo>(await send(`${prox.baseUrl}/based/x?y=1`)).url).toBe('/base/based/x?y=1');
  });

  it('adds X-Forwarded-* and drops a chain forged by an untrusted client', async () => {
    const echo = json<Echo>(
      await send(`${prox.baseUrl}/api/x`, {
        headers: { host: 'public.test', 'x-forwarded-for': '6.6.6.6', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'evil.test' },
      }),
    );
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe('public.test');
  });

  it('removes hop-by-hop headers towards the upstream, and Expect', async () => {
    const echo = json<Echo>(
      await send(`${prox.baseUrl}/api/x`, {
        headers: { connection: 'keep-alive, x-hop', 'x-hop': '1', 'proxy-connection': 'keep-alive', te: 'trailers', 'x-end': 'kept' },
      }),
    );
    expect(echo.headers['x-hop']).toBeUndefined();
    expect(echo.headers['proxy-connection']).toBeUndefined();
    expect(echo.headers.te).toBeUndefined();
    expect(echo.headers['x-end']).toBe('kept');
  });

  it('keeps repeated Set-Cookie headers and strips hop-by-hop ones from the response', async () => {
    const response = await send(`${prox.baseUrl}/cookies`);
    expect(headerValues(response.rawHeaders, 'set-cookie')).toEqual(['a=1; Path=/', 'b=2; HttpOnly']);
    expect(headerValues(response.rawHeaders, 'x-internal')).toEqual([]);
    expect(headerValues(response.rawHeaders, 'keep-alive')).toEqual([]);
    expect(response.body).toBe('ok');
  });

  it('streams a chunked request body to the upstream as it arrives', async () => {
    let firstPieceArrived!: () => void;
    const firstPiece = new Promise<void>((resolve) => (firstPieceArrived = resolve));
    const streaming = await startBackend((req, res) => {
      const pieces: string[] = [];
      req.setEncoding('utf8');
      req.on('data', (piece: string) => {
        pieces.push(piece);
        if (pieces.length === 1) firstPieceArrived();
      });
      req.on('end', () => res.end(JSON.stringify({ pieces, te: req.headers['transfer-encoding'] ?? null })));
    });
    const streamProx = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/": { type: proxy, target: "${streaming.url}" }
`);
    try {
      const req = httpRequest(`${streamProx.baseUrl}/upload`, { method: 'POST', agent: false });
      req.write('first,');
      // The second piece is only sent once the first reached the upstream: no buffering.
      await firstPiece;
      req.end('second');
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      let text = '';
      for await (const chunk of res) text += String(chunk);
      const seen = JSON.parse(text) as { pieces: string[]; te: string | null };
      expect(seen.pieces.join('')).toBe('first,second');
      expect(seen.pieces[0]).toBe('first,');
      expect(seen.te).toBe('chunked');
    } finally {
      await streamProx.stop();
      await streaming.close();
    }
  });

  it('answers Expect: 100-continue with 100 and then the final response, not forwarding Expect', async () => {
    const exchange = await rawRequest(
      prox.port,
      'POST /api/expect HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello',
    );
    expect(statusCodes(exchange.text)).toEqual([100, 200]);
    const echo = JSON.parse(exchange.text.slice(exchange.text.indexOf('{'), exchange.text.lastIndexOf('}') + 1)) as Echo;
    expect(echo.body).toBe('hello');
    expect(echo.headers.expect).toBeUndefined();
  });

  it('answers 502 when the upstream refuses the connection', async () => {
    const response = await send(`${prox.baseUrl}/down/x`);
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toEqual({ error: 'bad_gateway', status: 502 });
  });
});

describe('trusted proxies', () => {
  it('keeps the X-Forwarded-* chain from a trusted peer and appends to it', async () => {
    const backend = await startBackend();
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
trusted_proxies: ["127.0.0.0/8"]
routes:
  "/": { type: proxy, target: "${backend.url}" }
`);
    try {
      const echo = json<Echo>(
        await send(`${prox.baseUrl}/x`, {
          headers: { 'x-forwarded-for': '203.0.113.7, 10.1.1.1', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'shop.test' },
        }),
      );
      expect(echo.headers['x-forwarded-for']).toBe('203.0.113.7, 10.1.1.1, 127.0.0.1');
      expect(echo.headers['x-forwarded-proto']).toBe('https');
      expect(echo.headers['x-forwarded-host']).toBe('shop.test');
    } finally {
      await prox.stop();
      await backend.close();
    }
  });

  it('names IPv4 clients of a dual-stack listener in IPv4 form and IPv6 clients in short form', async () => {
    const backend = await startBackend();
    const prox = await startProx(`
listen_addr: "[::]:0"
routes:
  "/": { type: proxy, target: "${backend.url}" }
`);
    try {
      const overIpv4 = json<Echo>(await send(`http://127.0.0.1:${prox.port}/x`));
      const overIpv6 = json<Echo>(await send(`http://[::1]:${prox.port}/x`));
      expect([overIpv4.headers['x-forwarded-for'], overIpv6.headers['x-forwarded-for']]).toEqual(['127.0.0.1', '::1']);
    } finally {
      await prox.stop();
      await backend.close();
    }
  });
});

describe('upstream misbehaviour', () => {
  it('answers 504 when the upstream does not answer within timeout_secs', async () => {
    const silent = await startRawBackend(() => undefined);
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/": { type: proxy, target: "${silent.url}", timeout_secs: 0.3 }
`);
    try {
      const response = await send(`${prox.baseUrl}/slow`);
      expect(response.status).toBe(504);
      expect(JSON.parse(response.body)).toEqual({ error: 'gateway_timeout', status: 504 });
    } finally {
      await prox.stop();
      await silent.close();
    }
  });

  it.each([
    ['a Content-Length response', 'Content-Length: 100\r\n\r\n' + 'x'.repeat(10)],
    ['a chunked response', 'Transfer-Encoding: chunked\r\n\r\na\r\n' + 'x'.repeat(10) + '\r\n'],
  ])('aborts the client connection when the upstream resets mid-way through %s', async (_name, rest) => {
    const resetting = await startRawBackend((socket) => {
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\n' + rest, () => socket.resetAndDestroy());
      });
    });
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/": { type: proxy, target: "${resetting.url}" }
`);
    try {
      const req = httpRequest(`${prox.baseUrl}/x`, { agent: false });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      expect(res.statusCode).toBe(200);
      const outcome = new Promise<string>((resolve) => {
        res.on('end', () => resolve('complete'));
        res.on('aborted', () => resolve('aborted'));
        res.on('error', () => resolve('aborted'));
      });
      res.resume();
      expect(await outcome).toBe('aborted');
      expect(prox.child.exitCode).toBeNull();
    } finally {
      await prox.stop();
      await resetting.close();
    }
  });

  it('cancels the upstream request when the client goes away', async () => {
    let upstreamClosed!: () => void;
    const upstreamSawClose = new Promise<void>((resolve) => (upstreamClosed = resolve));
    let requestArrived!: () => void;
    const arrived = new Promise<void>((resolve) => (requestArrived = resolve));
    const hanging = await startBackend((req, res) => {
      res.on('close', () => upstreamClosed());
      requestArrived();
    });
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/": { type: proxy, target: "${hanging.url}" }
`);
    try {
      const req = httpRequest(`${prox.baseUrl}/wait`, { agent: false });
      req.on('error', () => undefined);
      req.end();
      await arrived;
      req.destroy();
      await upstreamSawClose;
      expect(hanging.received).toHaveLength(1);
    } finally {
      await prox.stop();
      await hanging.close();
    }
  });
});

describe('streaming', () => {
  it('delivers server-sent events as they are sent', async () => {
    let sendSecond!: () => void;
    const secondMayGo = new Promise<void>((resolve) => (sendSecond = resolve));
    const sse = await startBackend((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write('data: one\n\n');
      void secondMayGo.then(() => res.end('data: two\n\n'));
    });
    const prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/events": { type: proxy, target: "${sse.url}" }
`);
    try {
      const req = httpRequest(`${prox.baseUrl}/events`, { agent: false });
      req.end();
      const [res] = (await once(req, 'response')) as [IncomingMessage];
      expect(res.headers['content-type']).toBe('text/event-stream');
      res.setEncoding('utf8');
      const [first] = (await once(res, 'data')) as [string];
      // The second event is only sent after the first reached the client: no buffering.
      expect(first).toBe('data: one\n\n');
      sendSecond();
      let rest = '';
      for await (const chunk of res) rest += String(chunk);
      expect(rest).toBe('data: two\n\n');
    } finally {
      await prox.stop();
      await sse.close();
    }
  });
});

function echoWithName(name: string, req: IncomingMessage, res: import('node:http').ServerResponse): void {
  res.setHeader('x-backend-name', name);
  req.headers['x-backend'] = name;
  echoHandler(req, res);
}
