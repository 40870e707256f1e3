import { once } from 'node:events';
import { request as httpRequest, IncomingMessage } from 'node:http';
import { startBackend, TestBackend } from '../support/backends';
import { send } from '../support/http-client';
import { PROX_BIN, startProx, withTestAdmin, writeTempConfig } from '../support/prox-process';
import { spawn } from 'node:child_process';

/** A backend that holds every request until `release()`, counting arrivals. */
async function holdingBackend(): Promise<{ backend: TestBackend; arrivals(count: number): Promise<void>; release(): void }> {
  let releaseAll!: () => void;
  const released = new Promise<void>((resolve) => (releaseAll = resolve));
  let arrived = 0;
  const waiters: { count: number; resolve: () => void }[] = [];
  const backend = await startBackend((req, res) => {
    arrived++;
    for (const waiter of waiters.filter((w) => w.count <= arrived)) waiter.resolve();
    void released.then(() => res.end(`done ${req.url}`));
  });
  return {
    backend,
    arrivals: (count) => (arrived >= count ? Promise.resolve() : new Promise((resolve) => waiters.push({ count, resolve }))),
    release: releaseAll,
  };
}

function pendingGet(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false });
    req.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
    req.on('response', (res: IncomingMessage) => {
      let body = '';
      res.on('data', (chunk) => (body += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (error) => resolve({ error: (error as NodeJS.ErrnoException).code ?? error.message }));
      res.on('aborted', () => resolve({ error: 'aborted' }));
    });
    req.end();
  });
}

describe('graceful shutdown (SIGTERM)', () => {
  it('stops accepting, lets every slow in-flight request complete, then exits 0', async () => {
    const slow = await holdingBackend();
    const prox = await startProx(
      `listen_addr: "127.0.0.1:0"\nshutdown_timeout_secs: 30\nroutes:\n  "/": { type: load_balance, targets: ["${slow.backend.url}", "${slow.backend.url}/b"] }\n`,
    );
    try {
      const inFlight = [1, 2, 3].map((n) => pendingGet(`${prox.baseUrl}/slow-${n}`));
      await slow.arrivals(3);
      const draining = prox.nextLog('draining');
      const exit = once(prox.child, 'exit');
      prox.child.kill('SIGTERM');
      expect((await draining).inFlight).toBe(3);
      // Not accepting any more: a new connection is refused while the three are still running.
      await expect(send(`${prox.baseUrl}/late`)).rejects.toThrow(/ECONNREFUSED/);
      slow.release();
      const results = await Promise.all(inFlight);
      expect(results).toEqual([
        { status: 200, body: 'done /slow-1' },
        { status: 200, body: 'done /b/slow-2' },
        { status: 200, body: 'done /slow-3' },
      ]);
      const [code] = await exit;
      expect(code).toBe(0);
      expect(prox.logs.find((line) => line.msg === 'stopped')?.drained).toBe(true);
    } finally {
      slow.release();
      await prox.stop();
      await slow.backend.close();
    }
  });

  it('cuts requests still running after shutdown_timeout_secs, and still exits 0', async () => {
    const stuck = await holdingBackend();
    const prox = await startProx(
      `listen_addr: "127.0.0.1:0"\nshutdown_timeout_secs: 1\nroutes:\n  "/": { type: proxy, target: "${stuck.backend.url}" }\n`,
    );
    try {
      const inFlight = pendingGet(`${prox.baseUrl}/never-answered`);
      await stuck.arrivals(1);
      const exit = once(prox.child, 'exit');
      prox.child.kill('SIGTERM');
      const [code] = await exit;
      expect(code).toBe(0);
      expect(prox.logs.find((line) => line.msg === 'shutdown timeout reached')?.inFlight).toBe(1);
      expect(prox.logs.find((line) => line.msg === 'stopped')?.drained).toBe(false);
      // Cut: either a 502 written just before exit, or the connection closed. Never a success.
      const result = await inFlight;
      if (!('error' in result)) expect(result.status).toBe(502);
    } finally {
      stuck.release();
      await prox.stop();
      await stuck.backend.close();
    }
  });

  it('drains and exits 0 when SIGTERM arrives while it is still starting up', async () => {
    // The first health round holds startup until the probe is answered.
    const probe = await holdingBackend();
    const configFile = writeTempConfig(
      withTestAdmin(`listen_addr: "127.0.0.1:0"
health_check: { enabled: true, interval_secs: 60, timeout_secs: 30 }
routes:
  "/": { type: proxy, target: "${probe.backend.url}" }
`),
    );
    const child = spawn(process.execPath, [PROX_BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (text: string) => (output += text));
    const exited = once(child, 'exit');
    try {
      await probe.arrivals(1);
      child.kill('SIGTERM');
      probe.release();
      const [code, signal] = (await exited) as [number | null, string | null];
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const messages = output.trim().split('\n').map((line) => (JSON.parse(line) as { msg: string }).msg);
      expect(messages.filter((msg) => ['listening', 'shutting down', 'stopped'].includes(msg))).toEqual(['listening', 'shutting down', 'stopped']);
    } finally {
      child.kill('SIGKILL');
      await probe.backend.close();
    }
  });
});
