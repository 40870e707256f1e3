import { IncomingMessage, request as httpRequest } from 'node:http';
import { once } from 'node:events';
import { deadAddress, startSwitchableBackend, SwitchableBackend, waitForLog } from '../support/backends';
import { send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

describe('retries in a real prox process', () => {
  const backends: SwitchableBackend[] = [];
  let prox: ProxProcess;
  let dead: string;
  let deadForPost: string;
  let good: SwitchableBackend;
  let echo: SwitchableBackend;
  let unavailable: SwitchableBackend;
  let good503: SwitchableBackend;
  let resetting: SwitchableBackend;
  let goodReset: SwitchableBackend;
  let midBody: SwitchableBackend;
  let bodyReset: SwitchableBackend;
  let goodBody: SwitchableBackend;
  let exhaust1: SwitchableBackend;
  let exhaust2: SwitchableBackend;
  let hang1: SwitchableBackend;
  let hang2: SwitchableBackend;
  let slow503: SwitchableBackend;
  let slow200: SwitchableBackend;

  const start = async (name: string, behaviour: Parameters<typeof startSwitchableBackend>[1] = 'ok'): Promise<SwitchableBackend> => {
    const backend = await startSwitchableBackend(name, behaviour);
    backends.push(backend);
    return backend;
  };

  beforeAll(async () => {
    dead = await deadAddress();
    deadForPost = await deadAddress();
    good = await start('good');
    echo = await start('echo');
    unavailable = await start('unavailable', 503);
    good503 = await start('good503');
    resetting = await start('resetting', 'reset');
    goodReset = await start('good-reset');
    midBody = await start('mid-body', 'reset_mid_body');
    bodyReset = await start('body-reset', { resetAfterBodyBytes: 4096 });
    goodBody = await start('good-body');
    exhaust1 = await start('exhaust1', 'reset');
    exhaust2 = await start('exhaust2', 'reset');
    hang1 = await start('hang1', 'hang');
    hang2 = await start('hang2', 'hang');
    slow503 = await start('slow503', { status: 503, delayMs: 100 });
    slow200 = await start('slow200', { status: 200, delayMs: 420 });
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
x-no-passive: &no-passive { enabled: false }
routes:
  "/default": { type: load_balance, targets: ["${dead}", "${good.url}"] }
  "/post":
    type: load_balance
    targets: ["${deadForPost}", "${echo.url}"]
    passive: *no-passive
  "/on503":
    type: load_balance
    targets: ["${unavailable.url}", "${good503.url}"]
    retries: { attempts: 1, on: [503] }
    passive: *no-passive
  "/reset-retried":
    type: load_balance
    targets: ["${resetting.url}", "${goodReset.url}"]
    retries: { attempts: 1, on: [reset] }
    passive: *no-passive
  "/reset-not-retried":
    type: load_balance
    targets: ["${resetting.url}", "${goodReset.url}"]
    retries: { attempts: 1, on: [connect_error] }
    passive: *no-passive
  "/mid-body":
    type: load_balance
    targets: ["${midBody.url}", "${good.url}"]
    retries: { attempts: 2, on: [connect_error, reset] }
    passive: *no-passive
  "/big-body":
    type: load_balance
    targets: ["${bodyReset.url}", "${goodBody.url}"]
    retries: { attempts: 1, on: [connect_error, reset] }
    retry_buffer_bytes: 1024
    passive: *no-passive
  "/exhaust":
    type: load_balance
    targets: ["${exhaust1.url}", "${exhaust2.url}"]
    retries: { attempts: 3, on: [reset] }
    passive: *no-passive
  "/hang":
    type: load_balance
    targets: ["${hang1.url}", "${hang2.url}"]
    timeout_secs: 0.3
    retries: { attempts: 5, on: [connect_error, reset, 502, 503, 504] }
    passive: *no-passive
  "/slow503":
    type: proxy
    target: "${slow503.url}"
    timeout_secs: 0.35
    retries: { attempts: 10, on: [503] }
    passive: *no-passive
  "/slow200":
    type: proxy
    target: "${slow200.url}"
    timeout_secs: 0.2
    retries: { attempts: 0 }
    passive: *no-passive
`);
  });

  afterAll(async () => {
    await prox?.stop();
    await Promise.all(backends.map((backend) => backend.close()));
  });

  const failureLogs = (origin: string): Record<string, unknown>[] =>
    prox.logs.filter((line) => line.msg === 'upstream request failed' && line.origin === origin);
  const onPath = (path: string) => (request: { path: string }) => request.path === path;

  it('with the default retries, a GET to a route whose other backend refuses always succeeds', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await send(`${prox.baseUrl}/default/x`);
      expect(response.status).toBe(200);
      expect(response.body).toBe('good');
    }
    // The refusing backend was tried, and each of its failures was retried.
    await waitForLog(prox, 'upstream request failed', (line) => line.origin === dead);
    const failures = failureLogs(dead);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every((line) => line.kind === 'connect_refused' && line.retrying === true)).toBe(true);
  });

  it('retries a POST after a connect error, and the other backend receives the whole body', async () => {
    for (let i = 0; i < 4; i++) {
      const body = `post-${i}:` + 'p'.repeat(32 * 1024);
      const response = await send(`${prox.baseUrl}/post/x`, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
      expect(response.status).toBe(200);
      expect(response.body).toBe('echo');
      const received = echo.received[echo.received.length - 1];
      expect(received.method).toBe('POST');
      expect(received.body).toBe(body);
    }
    expect(echo.count()).toBe(4);
    await waitForLog(prox, 'upstream request failed', (line) => line.origin === deadForPost);
    const failures = failureLogs(deadForPost);
    expect(failures.length).toBeGreaterThanOrEqual(1);
    expect(failures.every((line) => line.method === 'POST' && line.retrying === true)).toBe(true);
  });

  it('retries a GET answered 503 when on: [503], but not a POST (the client sees the 503)', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await send(`${prox.baseUrl}/on503/get`);
      expect(response.status).toBe(200);
      expect(response.body).toBe('good503');
    }
    expect(unavailable.count(onPath('/on503/get'))).toBeGreaterThanOrEqual(1);

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const response = await send(`${prox.baseUrl}/on503/post`, { method: 'POST', body: `p${i}` });
      statuses.push(response.status);
      if (response.status === 503) expect(response.body).toBe('unavailable');
      else expect(response.body).toBe('good503');
    }
    expect(statuses.filter((status) => status === 503).length).toBeGreaterThanOrEqual(1);
    // A POST that got its 503 went nowhere else.
    expect(unavailable.count(onPath('/on503/post'))).toBe(statuses.filter((status) => status === 503).length);
    expect(good503.count(onPath('/on503/post'))).toBe(statuses.filter((status) => status === 200).length);
  });

  it('retries a GET whose connection is reset before the response head when reset is listed, and not otherwise', async () => {
    for (let i = 0; i < 6; i++) {
      const response = await send(`${prox.baseUrl}/reset-retried/x`);
      expect(response.status).toBe(200);
      expect(response.body).toBe('good-reset');
    }
    expect(resetting.count(onPath('/reset-retried/x'))).toBeGreaterThanOrEqual(1);

    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(`${prox.baseUrl}/reset-not-retried/x`)).status);
    expect(statuses.filter((status) => status === 502).length).toBeGreaterThanOrEqual(1);
    expect(resetting.count(onPath('/reset-not-retried/x'))).toBe(statuses.filter((status) => status === 502).length);
    expect(goodReset.count(onPath('/reset-not-retried/x'))).toBe(statuses.filter((status) => status === 200).length);
  });

  it('never retries once the response has started: a reset mid-body breaks the client connection', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = midBody.count();
      const outcome = await getOutcome(`${prox.baseUrl}/mid-body/x${i}`);
      if (midBody.count() > before) {
        // Head and part of the body went out from mid-body: the client must see a broken response.
        expect(outcome).toMatch(/^(error|truncated):/);
        expect(good.count(onPath(`/mid-body/x${i}`))).toBe(0);
      } else {
        expect(outcome).toBe('complete:200:good');
      }
      outcomes.push(outcome);
    }
    expect(midBody.count()).toBeGreaterThanOrEqual(1);
  });

  it('replays a small body after a reset, but not one larger than retry_buffer_bytes that already streamed (502)', async () => {
    const small = 'small:' + 's'.repeat(500);
    for (let i = 0; i < 2; i++) {
      const response = await send(`${prox.baseUrl}/big-body/small`, { method: 'PUT', body: small });
      expect(response.status).toBe(200);
      expect(response.body).toBe('good-body');
      expect(goodBody.received[goodBody.received.length - 1].body).toBe(small);
    }
    expect(bodyReset.count(onPath('/big-body/small'))).toBeGreaterThanOrEqual(1);

    const big = 'big:' + 'b'.repeat(16 * 1024);
    let resetOnes = 0;
    for (let i = 0; i < 4; i++) {
      const path = `/big-body/big-${i}`;
      const response = await send(`${prox.baseUrl}${path}`, { method: 'PUT', body: big });
      if (bodyReset.count(onPath(path)) === 1) {
        resetOnes++;
        expect(response.status).toBe(502);
        expect(JSON.parse(response.body)).toEqual({ error: 'bad_gateway', status: 502 });
        expect(goodBody.count(onPath(path))).toBe(0);
      } else {
        expect(response.status).toBe(200);
        expect(goodBody.received[goodBody.received.length - 1].body).toBe(big);
      }
    }
    expect(resetOnes).toBeGreaterThanOrEqual(1);
  });

  it('answers 502 when every attempt failed, after exactly 1 + attempts tries spread over the backends', async () => {
    const response = await send(`${prox.baseUrl}/exhaust/x`);
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toEqual({ error: 'bad_gateway', status: 502 });
    expect(exhaust1.count() + exhaust2.count()).toBe(4);
    expect(exhaust1.count()).toBeGreaterThanOrEqual(1);
    expect(exhaust2.count()).toBeGreaterThanOrEqual(1);
  });

  it('never retries past timeout_secs: hanging backends give 504 and are not hit again', async () => {
    const response = await send(`${prox.baseUrl}/hang/x`);
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body)).toEqual({ error: 'gateway_timeout', status: 504 });
    // A round trip through prox afterwards: any retry started after the 504 would show by now.
    expect((await send(`${prox.baseUrl}/default/after-hang`)).status).toBe(200);
    expect(hang1.count() + hang2.count()).toBe(1);
  });

  it('stops retrying a slow 503 when the time budget runs out, well before attempts are used up', async () => {
    const response = await send(`${prox.baseUrl}/slow503/x`);
    expect([503, 504]).toContain(response.status);
    expect((await send(`${prox.baseUrl}/default/after-slow`)).status).toBe(200);
    // Each try takes at least 100 ms and none may start after 350 ms: at most 4 of the 11 allowed.
    expect(slow503.count()).toBeGreaterThanOrEqual(1);
    expect(slow503.count()).toBeLessThanOrEqual(4);
  });

  it('bounds the first attempt by timeout_secs too: an answer that comes after 420 ms on a 0.2 s route is a 504', async () => {
    const response = await send(`${prox.baseUrl}/slow200/x`);
    expect(slow200.count()).toBe(1);
    expect(response.status).toBe(504);
    expect(response.body).not.toBe('slow200');
  });
});

/** GET and describe how the response ended: complete, truncated (fewer bytes than announced) or error. */
async function getOutcome(url: string): Promise<string> {
  const req = httpRequest(url, { agent: false });
  req.end();
  try {
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (error) {
      return `error:${(error as Error).message}`;
    }
    const body = Buffer.concat(chunks).toString('utf8');
    const announced = Number(res.headers['content-length'] ?? NaN);
    if (!res.complete || (Number.isFinite(announced) && announced !== body.length)) return `truncated:${body.length}`;
    return `complete:${res.statusCode}:${body}`;
  } catch (error) {
    return `error:${(error as Error).message}`;
  }
}
