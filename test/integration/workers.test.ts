import { writeFileSync } from 'node:fs';
import { startBackend, TestBackend } from '../support/backends';
import { send } from '../support/http-client';
import { ProxProcess, runProxCli, startProx } from '../support/prox-process';

/** Resolves with the first log line (already printed or still to come) that matches. */
async function logLine(prox: ProxProcess, msg: string, matches: (line: Record<string, unknown>) => boolean = () => true): Promise<Record<string, unknown>> {
  const seen = prox.logs.find((line) => line.msg === msg && matches(line));
  if (seen !== undefined) return seen;
  for (;;) {
    const line = await prox.nextLog(msg);
    if (matches(line)) return line;
  }
}

function configFor(target: string): string {
  return [
    'listen_addr: "127.0.0.1:0"',
    'workers: 2',
    'access_log: { enabled: false }',
    'routes:',
    `  "/": { type: proxy, target: "${target}" }`,
    '',
  ].join('\n');
}

function counterValue(exposition: string, series: string): number {
  const line = exposition.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** Sends on a fresh connection each time, so the kernel spreads them over the workers. */
async function sendMany(url: string, count: number): Promise<string[]> {
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const response = await send(url, { headers: { connection: 'close' } });
    expect(response.status).toBe(200);
    bodies.push(response.body);
  }
  return bodies;
}

interface WorkersView {
  workers: { worker: number; pid: number; running: boolean; requests: number }[];
  restarts: number;
}

async function workersView(prox: ProxProcess): Promise<WorkersView> {
  const response = await send(`${prox.adminUrl}/workers`);
  expect(response.status).toBe(200);
  return JSON.parse(response.body) as WorkersView;
}

describe('workers: 2', () => {
  let a: TestBackend;
  let b: TestBackend;
  let prox: ProxProcess;

  beforeEach(async () => {
    a = await startBackend((_req, res) => res.end('a'));
    b = await startBackend((_req, res) => res.end('b'));
    prox = await startProx(configFor(a.url));
    await logLine(prox, 'workers ready');
  });

  afterEach(async () => {
    await prox.stop();
    await a.close();
    await b.close();
  });

  it('runs two worker processes on one port, and one scrape counts the requests of both', async () => {
    const ready = await logLine(prox, 'workers ready');
    const pids = ready.pids as number[];
    expect(pids).toHaveLength(2);
    expect(new Set(pids).size).toBe(2);
    expect(pids).not.toContain(prox.child.pid);

    await sendMany(`${prox.baseUrl}/counted`, 40);
    const readyz = await send(`${prox.adminUrl}/readyz`);
    expect(readyz.status).toBe(200);
    expect((JSON.parse(readyz.body) as { workers: { pid: number; ready: boolean }[] }).workers.map((w) => [w.pid, w.ready])).toEqual(pids.map((pid) => [pid, true]));

    const metrics = await send(`${prox.adminUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(counterValue(metrics.body, 'prox_requests_total{route="/",method="GET",status="200"}')).toBe(40);
    expect(counterValue(metrics.body, 'prox_workers')).toBe(2);
  });

  it('spreads new connections over both workers; /workers shows each one\'s share', async () => {
    // The kernel hashes each new connection to one of the listening sockets.
    await sendMany(`${prox.baseUrl}/spread`, 60);
    const view = await workersView(prox);
    expect(view.workers.map((w) => w.running)).toEqual([true, true]);
    expect(view.workers[0].requests + view.workers[1].requests).toBe(60);
    expect(view.workers[0].requests).toBeGreaterThan(0);
    expect(view.workers[1].requests).toBeGreaterThan(0);
  });

  it('reloads every worker: after a change, both serve from the new backend', async () => {
    expect(new Set(await sendMany(`${prox.baseUrl}/before`, 10))).toEqual(new Set(['a']));
    writeFileSync(prox.configFile, configFor(b.url) + 'admin: { listen_addr: "127.0.0.1:0" }\n');
    const reloaded = await logLine(prox, 'workers reloaded');
    expect(reloaded.workers).toBe(2);
    const workerReloads = prox.logs.filter((line) => line.msg === 'config reloaded').map((line) => line.worker);
    expect(workerReloads.sort()).toEqual([1, 2]);
    expect(new Set(await sendMany(`${prox.baseUrl}/after`, 20))).toEqual(new Set(['b']));
  });

  it('rejects an invalid file once, in the supervisor, and keeps serving', async () => {
    writeFileSync(prox.configFile, 'listen_addr: "127.0.0.1:0"\nworkers: 2\nroutes: {}\nadmin: { listen_addr: "127.0.0.1:0" }\n');
    await logLine(prox, 'config reload rejected; the running config stays');
    expect(prox.logs.filter((line) => line.msg === 'config reload rejected; the running config stays')).toHaveLength(1);
    expect(new Set(await sendMany(`${prox.baseUrl}/still`, 5))).toEqual(new Set(['a']));
    const metrics = await send(`${prox.adminUrl}/metrics`);
    expect(counterValue(metrics.body, 'prox_config_reloads_total{result="invalid"}')).toBe(1);
  });

  it('replaces a worker that was killed', async () => {
    const ready = await logLine(prox, 'workers ready');
    const [first] = ready.pids as number[];
    process.kill(first, 'SIGKILL');
    const exited = await logLine(prox, 'worker exited; restarting it');
    expect(exited.pid).toBe(first);
    expect(exited.signal).toBe('SIGKILL');
    const restarted = await logLine(prox, 'worker restarted');
    expect(restarted.worker).toBe(1);
    expect(restarted.pid).not.toBe(first);
    // The replacement serves: all requests succeed and a scrape finds two ready workers again.
    expect(new Set(await sendMany(`${prox.baseUrl}/after-crash`, 20))).toEqual(new Set(['a']));
    const readyz = await send(`${prox.adminUrl}/readyz`);
    expect(readyz.status).toBe(200);
    const pids = (JSON.parse(readyz.body) as { workers: { pid: number }[] }).workers.map((w) => w.pid);
    expect(pids).toContain(restarted.pid);
    const metrics = await send(`${prox.adminUrl}/metrics`);
    expect(counterValue(metrics.body, 'prox_worker_restarts_total')).toBe(1);
    expect((await workersView(prox)).restarts).toBe(1);
  });

  it('readiness tells a worker that does not answer (stopped) from one that is not running', async () => {
    const ready = JSON.parse((await send(`${prox.adminUrl}/readyz`)).body) as { workers: { worker: number; pid: number }[] };
    const second = ready.workers.find((w) => w.worker === 2)!.pid;
    const restartsBefore = (await workersView(prox)).restarts;
    process.kill(second, 'SIGSTOP');
    try {
      const stalled = await send(`${prox.adminUrl}/readyz`);
      expect(stalled.status).toBe(503);
      expect((JSON.parse(stalled.body) as { problems: string[] }).problems).toEqual(['worker 2: did not answer in time']);
    } finally {
      process.kill(second, 'SIGCONT');
    }
    const again = await send(`${prox.adminUrl}/readyz`);
    expect(again.status).toBe(200);
    // Stalled is not dead: the supervisor left it alone.
    expect((await workersView(prox)).restarts).toBe(restartsBefore);
  });

  it('prox validate names the engine the workers run, as their startup log and /config do', async () => {
    // Which engine `auto` picks with workers depends on the Node (port sharing); the three must agree.
    const validated = await runProxCli(['validate', '--config', prox.configFile, '--format', 'json']);
    expect(validated.code).toBe(0);
    const summary = (JSON.parse(validated.stdout) as { summary: { engine: { inUse: string; configured: string; reason: string; problem: null } } }).summary.engine;
    const started = await logLine(prox, 'inbound engine', (line) => line.worker === 1);
    const label = { uws: 'µWebSockets', llhttp: 'llhttp', node: 'node:http' }[summary.inUse];
    expect(label).toBeDefined();
    expect(started).toMatchObject({ engine: label, configured: summary.configured, reason: summary.reason });
    const config = JSON.parse((await send(`${prox.adminUrl}/config`)).body) as { engine: unknown };
    expect(config.engine).toEqual({ in_use: summary.inUse, configured: 'auto', reason: summary.reason });
    expect(summary.problem).toBeNull();
    const text = await runProxCli(['validate', '--config', prox.configFile]);
    expect(text.stdout).toContain(`engine: ${label} (${summary.reason})`);
  });

  it('drains both workers on SIGTERM and exits 0', async () => {
    const ready = await logLine(prox, 'workers ready');
    const pids = ready.pids as number[];
    const code = await prox.stop();
    expect(code).toBe(0);
    const stopped = prox.logs.filter((line) => line.msg === 'stopped');
    expect(stopped.map((line) => line.worker ?? 'supervisor').sort()).toEqual([1, 2, 'supervisor']);
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  });
});
