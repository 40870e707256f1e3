import { startSwitchableBackend, SwitchableBackend, waitForLog } from '../support/backends';
import { send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

/** Which backend answered each of `n` sequential requests (the body is the backend's name). */
async function servedBy(url: string, n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const response = await send(url);
    expect(response.status).toBe(200);
    names.push(response.body);
  }
  return names;
}

const isHealthProbe = (path: string) => (request: { path: string }) => request.path === path;
/** Requests that are live traffic, not probes (every test path is under a route prefix). */
const traffic = (request: { path: string }): boolean => !request.path.startsWith('/health') && !request.path.startsWith('/hc') && !request.path.startsWith('/custom') && !request.path.startsWith('/svc/hc');

describe('active health checks against a real prox process', () => {
  const backends: SwitchableBackend[] = [];
  let prox: ProxProcess;
  // Startup: a is healthy, b fails its probe from the beginning.
  let a: SwitchableBackend;
  let b: SwitchableBackend;
  // Threshold flips: c stays healthy, d fails and recovers.
  let c: SwitchableBackend;
  let d: SwitchableBackend;
  // Probe details.
  let custom: SwitchableBackend;
  let plain: SwitchableBackend;
  let based: SwitchableBackend;
  let head: SwitchableBackend;
  let redirecting: SwitchableBackend;
  let bodyGood: SwitchableBackend;
  let bodyBad: SwitchableBackend;
  let hanging: SwitchableBackend;
  let shared: SwitchableBackend;
  let p1: SwitchableBackend;
  let p2: SwitchableBackend;
  let p3: SwitchableBackend;

  const start = async (name: string): Promise<SwitchableBackend> => {
    const backend = await startSwitchableBackend(name);
    backends.push(backend);
    return backend;
  };

  beforeAll(async () => {
    a = await start('a');
    b = await start('b');
    b.setPath('/health', 503);
    c = await start('c');
    d = await start('d');
    custom = await start('custom');
    custom.setPath('/hc', 500); // would fail if probed on the default path
    plain = await start('plain');
    plain.setPath('/hc', 200);
    based = await start('based');
    based.setPath('/svc/hc', 200);
    head = await start('head');
    redirecting = await start('redirecting');
    redirecting.setPath('/health', { status: 302, headers: { location: '/elsewhere' }, body: '' });
    bodyGood = await start('body-good');
    bodyGood.setPath('/health', { status: 200, body: 'status: all ok' });
    bodyBad = await start('body-bad');
    bodyBad.setPath('/health', { status: 200, body: 'status: degraded' });
    hanging = await start('hanging');
    hanging.setPath('/health', 'hang');
    shared = await start('shared');
    shared.setPath('/health', 503);
    p1 = await start('p1');
    p2 = await start('p2');
    p2.setPath('/health', 503);
    p3 = await start('p3');
    p3.setPath('/health', 503);

    prox = await startProx(`
listen_addr: "127.0.0.1:0"
health_check:
  interval_secs: 0.25
  # Generous, so healthy backends pass even on a loaded machine; /hanging tests a short one.
  timeout_secs: 1
  path: /health
  unhealthy_threshold: 3
  healthy_threshold: 2
backend_health_paths:
  "${custom.url}": "/custom-probe"
routes:
  "/startup": { type: load_balance, targets: ["${a.url}", "${b.url}"] }
  "/flip": { type: load_balance, targets: ["${c.url}", "${d.url}"] }
  "/paths":
    type: load_balance
    targets: ["${custom.url}", "${plain.url}", "${based.url}/svc"]
    health_check: { path: /hc }
  "/head": { type: proxy, target: "${head.url}", health_check: { method: HEAD } }
  "/strict": { type: proxy, target: "${redirecting.url}", health_check: { expected_status: "200-299" } }
  "/lenient": { type: proxy, target: "${redirecting.url}" }
  "/body":
    type: load_balance
    targets: ["${bodyGood.url}", "${bodyBad.url}"]
    health_check: { expected_body: "all ok" }
  "/hanging": { type: proxy, target: "${hanging.url}", health_check: { timeout_secs: 0.2 } }
  "/checked": { type: proxy, target: "${shared.url}" }
  "/unchecked": { type: proxy, target: "${shared.url}", health_check: { enabled: false } }
  "/panic": { type: load_balance, targets: ["${p1.url}", "${p2.url}", "${p3.url}"], min_healthy_percent: 50 }
  "/nopanic": { type: load_balance, targets: ["${p1.url}", "${p2.url}", "${p3.url}"] }
`);
  });

  afterAll(async () => {
    await prox?.stop();
    await Promise.all(backends.map((backend) => backend.close()));
  });

  it('runs the first probe round before listening: a backend failing its probe takes no traffic from the first request on', async () => {
    const listeningAt = prox.logs.findIndex((line) => line.msg === 'listening');
    const unhealthyAt = prox.logs.findIndex((line) => line.msg === 'backend unhealthy' && line.backend === b.url);
    expect(unhealthyAt).toBeGreaterThanOrEqual(0);
    expect(unhealthyAt).toBeLessThan(listeningAt);
    expect(b.count('/health')).toBeGreaterThanOrEqual(1);

    expect(await servedBy(`${prox.baseUrl}/startup/x`, 10)).toEqual(Array(10).fill('a'));
    expect(b.count(traffic)).toBe(0);
  });

  it('takes a failing backend out only after unhealthy_threshold failed probes, and back after healthy_threshold passes', async () => {
    const url = `${prox.baseUrl}/flip/x`;
    expect(new Set(await servedBy(url, 4))).toEqual(new Set(['c', 'd']));

    // d starts failing its probe.
    const failingFrom = d.received.length;
    const logsFrom = prox.logs.length;
    d.setPath('/health', 503);
    const failedProbe = (request: { path: string; behaviour: unknown }): boolean => request.path === '/health' && request.behaviour === 503;
    await d.waitFor(failedProbe, 1, failingFrom);
    // One failed probe (of 3 needed): d still takes its share.
    const beforeThreshold = await servedBy(url, 4);
    expect(beforeThreshold).toContain('d');

    const unhealthy = await waitForLog(prox, 'backend unhealthy', (line) => line.backend === d.url, logsFrom);
    expect(unhealthy.backend).toBe(d.url);
    // Not before the third failed probe.
    expect(d.received.slice(failingFrom).filter(failedProbe).length).toBeGreaterThanOrEqual(3);
    const trafficBefore = d.count(traffic);
    expect(await servedBy(url, 6)).toEqual(Array(6).fill('c'));
    expect(d.count(traffic)).toBe(trafficBefore);

    // d recovers.
    const passingFrom = d.received.length;
    const recoveryLogsFrom = prox.logs.length;
    d.setPath('/health', 200);
    const passedProbe = (request: { path: string; behaviour: unknown }): boolean => request.path === '/health' && request.behaviour === 200;
    await d.waitFor(passedProbe, 1, passingFrom);
    // One passing probe (of 2 needed): still out of rotation.
    expect(await servedBy(url, 4)).toEqual(Array(4).fill('c'));

    await waitForLog(prox, 'backend healthy', (line) => line.backend === d.url, recoveryLogsFrom);
    expect(d.received.slice(passingFrom).filter(passedProbe).length).toBeGreaterThanOrEqual(2);
    expect(await servedBy(url, 4)).toContain('d');
  });

  it('probes each backend on its backend_health_paths entry, else the check path under the target base path', async () => {
    expect(custom.count('/custom-probe')).toBeGreaterThanOrEqual(1);
    expect(custom.count('/hc')).toBe(0);
    expect(custom.count('/health')).toBe(0);
    expect(plain.count('/hc')).toBeGreaterThanOrEqual(1);
    expect(plain.count('/health')).toBe(0);
    expect(based.count('/svc/hc')).toBeGreaterThanOrEqual(1);
    // All three pass on their own path, so all three take traffic.
    expect(new Set(await servedBy(`${prox.baseUrl}/paths/x`, 6))).toEqual(new Set(['custom', 'plain', 'based']));
  });

  it('sends probes with the configured method (HEAD)', async () => {
    const probes = head.received.filter(isHealthProbe('/health'));
    expect(probes.length).toBeGreaterThanOrEqual(1);
    expect(new Set(probes.map((probe) => probe.method))).toEqual(new Set(['HEAD']));
    expect(await servedBy(`${prox.baseUrl}/head/x`, 1)).toEqual(['head']);
  });

  it('judges a 302 health endpoint by expected_status: failing for "200-299", passing for the default 200-399', async () => {
    expect(redirecting.count('/health')).toBeGreaterThanOrEqual(2);
    expect((await send(`${prox.baseUrl}/strict/x`)).status).toBe(503);
    expect(await servedBy(`${prox.baseUrl}/lenient/x`, 2)).toEqual(['redirecting', 'redirecting']);
    expect(redirecting.count((r) => r.path === '/strict/x')).toBe(0);
  });

  it('fails a probe whose body lacks expected_body', async () => {
    expect(bodyBad.count('/health')).toBeGreaterThanOrEqual(1);
    expect(await servedBy(`${prox.baseUrl}/body/x`, 6)).toEqual(Array(6).fill('body-good'));
    expect(bodyBad.count(traffic)).toBe(0);
  });

  it('fails a probe that gets no answer within timeout_secs, and keeps probing', async () => {
    const unhealthy = prox.logs.find((line) => line.msg === 'backend unhealthy' && line.backend === hanging.url);
    expect(unhealthy).toBeDefined();
    // The loop is not stuck on the hung probe: further probes keep arriving.
    await hanging.waitFor('/health', 3);
    expect((await send(`${prox.baseUrl}/hanging/x`)).status).toBe(503);
    expect(hanging.count(traffic)).toBe(0);
  });

  it('answers 503 with a JSON body and Retry-After when every backend of a route is down', async () => {
    const response = await send(`${prox.baseUrl}/strict/anything`);
    expect(response.status).toBe(503);
    expect(response.headers['content-type']).toBe('application/json');
    expect(JSON.parse(response.body)).toEqual({ error: 'service_unavailable', status: 503 });
    expect(response.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
  });

  it('lets a route turn checks off (enabled: false) while another route checks the same backend', async () => {
    expect(shared.count('/health')).toBeGreaterThanOrEqual(1);
    expect((await send(`${prox.baseUrl}/checked/x`)).status).toBe(503);
    const unchecked = await send(`${prox.baseUrl}/unchecked/x`);
    expect(unchecked.status).toBe(200);
    expect(unchecked.body).toBe('shared');
    expect(shared.count((r) => r.path === '/checked/x')).toBe(0);
    expect(shared.count((r) => r.path === '/unchecked/x')).toBe(1);
  });

  it('panics below min_healthy_percent: with 1 of 3 healthy and 50%, traffic spreads over all 3', async () => {
    expect(new Set(await servedBy(`${prox.baseUrl}/panic/x`, 9))).toEqual(new Set(['p1', 'p2', 'p3']));
    // Without the threshold the same pool sends everything to the one healthy backend.
    expect(await servedBy(`${prox.baseUrl}/nopanic/x`, 6)).toEqual(Array(6).fill('p1'));
  });
});
