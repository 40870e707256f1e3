import { deadAddress, pollUntil, startSwitchableBackend, SwitchableBackend, waitForLog } from '../support/backends';
import { send } from '../support/http-client';
import { ProxProcess, startProx } from '../support/prox-process';

describe('passive health (outlier ejection) in a real prox process', () => {
  let prox: ProxProcess;
  let refusing: SwitchableBackend;
  let good: SwitchableBackend;
  let erroring: SwitchableBackend;
  let good2: SwitchableBackend;
  let lonely: string;
  let dead1: string;
  let dead2: string;

  beforeAll(async () => {
    refusing = await startSwitchableBackend('r');
    await refusing.refuse();
    good = await startSwitchableBackend('g');
    erroring = await startSwitchableBackend('e', 500);
    good2 = await startSwitchableBackend('g2');
    lonely = await deadAddress();
    dead1 = await deadAddress();
    dead2 = await deadAddress();
    prox = await startProx(`
listen_addr: "127.0.0.1:0"
routes:
  "/eject":
    type: load_balance
    targets: ["${refusing.url}", "${good.url}"]
    passive: { consecutive_failures: 2, ejection_secs: 1 }
  "/count5xx-on":
    type: load_balance
    targets: ["${erroring.url}", "${good2.url}"]
    passive: { consecutive_failures: 2, ejection_secs: 30, count_5xx: true }
    retries: { attempts: 0 }
  "/count5xx-off":
    type: load_balance
    targets: ["${erroring.url}", "${good2.url}"]
    passive: { consecutive_failures: 2, ejection_secs: 30, count_5xx: false }
    retries: { attempts: 0 }
  "/single":
    type: proxy
    target: "${lonely}"
    passive: { consecutive_failures: 1, ejection_secs: 30 }
  "/both-dead":
    type: load_balance
    targets: ["${dead1}", "${dead2}"]
    passive: { consecutive_failures: 1, ejection_secs: 30 }
    retries: { attempts: 0 }
`);
  });

  afterAll(async () => {
    await prox?.stop();
    await Promise.all([refusing, good, erroring, good2].map((backend) => backend.close()));
  });

  const ejections = (route: string): Record<string, unknown>[] =>
    prox.logs.filter((line) => line.msg === 'backend ejected' && line.route === route);
  const failuresAt = (origin: string): number =>
    prox.logs.filter((line) => line.msg === 'upstream request failed' && line.origin === origin).length;

  /** Log lines reach the test a little after the response they belong to. */
  const logged = (condition: () => boolean): Promise<boolean> =>
    pollUntil(async () => condition(), { attempts: 80, pauseMs: 25, what: 'expected log lines' });

  it('ejects a refusing backend after consecutive_failures, sends traffic to the other, and tries it again after ejection_secs', async () => {
    const url = `${prox.baseUrl}/eject/x`;
    // Default retries (one, on connect errors) move each refused request to g.
    for (let i = 0; i < 10 && ejections('/eject').length === 0; i++) {
      const response = await send(url);
      expect(response.status).toBe(200);
      expect(response.body).toBe('g');
    }
    const ejected = await waitForLog(prox, 'backend ejected', (line) => line.route === '/eject');
    expect(ejected.backend).toBe(refusing.url);
    expect(ejected.durationMs).toBe(1000);
    // The failure that ejected it is logged just after the ejection.
    await logged(() => failuresAt(refusing.url) >= 2);
    expect(failuresAt(refusing.url)).toBe(2);

    // Up again, but still ejected: no traffic reaches it while the ejection lasts.
    await refusing.accept();
    for (let i = 0; i < 5; i++) expect((await send(url)).body).toBe('g');
    expect(refusing.count()).toBe(0);
    expect(failuresAt(refusing.url)).toBe(2);

    // Once the ejection has run out it is tried again, and now serves.
    await pollUntil(async () => (await send(url)).body === 'r', { attempts: 200, pauseMs: 25, what: 'ejected backend serves again' });
    expect(refusing.count()).toBeGreaterThanOrEqual(1);
    expect(ejections('/eject')).toHaveLength(1);
  });

  it('ejects a backend answering 500 when count_5xx is true', async () => {
    const url = `${prox.baseUrl}/count5xx-on/x`;
    const statuses: number[] = [];
    for (let i = 0; i < 12 && ejections('/count5xx-on').length === 0; i++) statuses.push((await send(url)).status);
    expect(statuses).toContain(500);
    const ejected = await waitForLog(prox, 'backend ejected', (line) => line.route === '/count5xx-on');
    expect(ejected.backend).toBe(erroring.url);
    const erroringHits = erroring.count((r) => r.path === '/count5xx-on/x');
    expect(erroringHits).toBe(2);
    for (let i = 0; i < 6; i++) {
      const response = await send(url);
      expect(response.status).toBe(200);
      expect(response.body).toBe('g2');
    }
    expect(erroring.count((r) => r.path === '/count5xx-on/x')).toBe(erroringHits);
  });

  it('does not eject a backend answering 500 when count_5xx is false', async () => {
    const url = `${prox.baseUrl}/count5xx-off/x`;
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await send(url)).status);
    // Round robin keeps sending every other request to the 500-answering backend.
    expect(statuses.filter((status) => status === 500)).toHaveLength(5);
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(erroring.count((r) => r.path === '/count5xx-off/x')).toBe(5);
    expect(ejections('/count5xx-off')).toHaveLength(0);
  });

  it('never ejects the last available backend: a single-target route keeps answering 502, never 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const response = await send(`${prox.baseUrl}/single/x`);
      statuses.push(response.status);
      if (response.status === 502) expect(JSON.parse(response.body)).toEqual({ error: 'bad_gateway', status: 502 });
    }
    expect(statuses).toEqual(Array(6).fill(502));
    expect(ejections('/single')).toHaveLength(0);
  });

  it('ejects only one of two dead backends: the survivor keeps being tried (502), never 503', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await send(`${prox.baseUrl}/both-dead/x`)).status);
    expect(statuses).toEqual(Array(6).fill(502));
    expect(ejections('/both-dead')).toHaveLength(1);
    // Both were tried: the first until ejected, the other ever since.
    await logged(() => failuresAt(dead1) + failuresAt(dead2) >= 6);
    expect(failuresAt(dead1) + failuresAt(dead2)).toBe(6);
    expect(failuresAt(dead1)).toBeGreaterThanOrEqual(1);
    expect(failuresAt(dead2)).toBeGreaterThanOrEqual(1);
  });
});
