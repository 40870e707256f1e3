import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { ProxConfigError, startProx, validateConfig } from '../../src/index';
import type { RunningProx } from '../../src/index';
import { RecordingLogger } from '../core/support/fakes';
import { startBackend, TestBackend } from '../support/backends';
import { send } from '../support/http-client';
import { freeLoopbackPort } from '../support/ports';
import { writeTempConfig } from '../support/prox-process';

function configFor(backend: TestBackend): string {
  return `listen_addr: "127.0.0.1:0"
admin: { listen_addr: "127.0.0.1:0" }
access_log: { enabled: false }
routes:
  "/": { type: proxy, target: "${backend.url}" }
`;
}

/** Whether a new connection to the port is refused: nothing listens there any more. */
async function refused(port: number): Promise<boolean> {
  const socket = connect(port, '127.0.0.1');
  const outcome = await new Promise<string | undefined>((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code));
  });
  socket.destroy();
  return outcome === 'ECONNREFUSED';
}

const PROCESS_EVENTS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'uncaughtException', 'unhandledRejection'] as const;

describe('programmatic API (in this process, real sockets)', () => {
  let a: TestBackend;
  let b: TestBackend;
  let prox: RunningProx | null = null;

  beforeEach(async () => {
    a = await startBackend((_req, res) => res.end('a'));
    b = await startBackend((_req, res) => res.end('b'));
  });

  afterEach(async () => {
    await prox?.close();
    prox = null;
    await a.close();
    await b.close();
  });

  it('starts from YAML text, proxies, reloads new text, and closes releasing both ports', async () => {
    const listenersBefore = PROCESS_EVENTS.map((event) => process.listenerCount(event));
    const logger = new RecordingLogger();
    prox = await startProx({ config: configFor(a), logger });
    const { port } = prox.address;
    const adminPort = prox.adminAddress!.port;
    expect((await send(`http://127.0.0.1:${port}/hello`)).body).toBe('a');
    expect((await send(`http://127.0.0.1:${adminPort}/readyz`)).status).toBe(200);
    // The application owns its process: no signal or crash handlers were added.
    expect(PROCESS_EVENTS.map((event) => process.listenerCount(event))).toEqual(listenersBefore);

    const reloaded = await prox.reload(configFor(b));
    expect(reloaded).toEqual({ status: 'applied', errors: [], warnings: [], reason: null });
    expect((await send(`http://127.0.0.1:${port}/hello`)).body).toBe('b');
    expect(logger.entries.map((entry) => entry.message)).toContain('config reloaded');

    await prox.close();
    prox = null;
    expect(await refused(port)).toBe(true);
    expect(await refused(adminPort)).toBe(true);
    expect(logger.entries.filter((entry) => entry.message === 'stopped')).toHaveLength(1);
  });

  it('reads a config file again on reload(); an invalid file keeps the running routes and says where', async () => {
    const file = writeTempConfig(configFor(a));
    prox = await startProx({ configPath: file, logger: new RecordingLogger() });
    const url = `http://127.0.0.1:${prox.address.port}/x`;
    expect((await send(url)).body).toBe('a');

    writeFileSync(file, configFor(b));
    expect((await prox.reload()).status).toBe('applied');
    expect((await send(url)).body).toBe('b');

    writeFileSync(file, configFor(a).replace('type: proxy', 'type: proxxy'));
    const refused = await prox.reload();
    expect(refused.status).toBe('invalid');
    expect(refused.errors.map((error) => [error.file, error.line, error.path])).toEqual([[file, 5, '/routes/~1/type']]);
    expect((await send(url)).body).toBe('b');
    await expect(prox.reload('listen_addr: "127.0.0.1:0"')).rejects.toThrow(TypeError);
  });

  it('follows a reload that moves listen_addr', async () => {
    prox = await startProx({ config: configFor(a), logger: new RecordingLogger() });
    const before = prox.address.port;
    const elsewhere = await freeLoopbackPort();
    const moved = await prox.reload(configFor(a).replace('listen_addr: "127.0.0.1:0"', `listen_addr: "127.0.0.1:${elsewhere}"`));
    expect(moved.status).toBe('applied');
    expect(prox.address).toEqual({ host: '127.0.0.1', port: elsewhere });
    expect((await send(`http://127.0.0.1:${elsewhere}/`)).body).toBe('a');
    expect(await refused(before)).toBe(true);
  });

  it('rejects an invalid config with every error at its YAML line, and starts nothing', async () => {
    const text = configFor(a).replace('listen_addr: "127.0.0.1:0"', 'listen_addr: "127.0.0.1:99999"');
    const started = startProx({ config: text, file: 'edge.yaml', logger: new RecordingLogger() });
    await expect(started).rejects.toBeInstanceOf(ProxConfigError);
    await expect(started).rejects.toThrow(/^invalid prox config:\nedge\.yaml:1:14 /);
  });

  it('rejects when it cannot listen, and leaves nothing behind', async () => {
    const holder = createServer();
    holder.listen({ host: '127.0.0.1', port: 0, exclusive: true });
    await once(holder, 'listening');
    const taken = (holder.address() as { port: number }).port;
    const adminPort = await freeLoopbackPort();
    try {
      const text = configFor(a).replace('listen_addr: "127.0.0.1:0"', `listen_addr: "127.0.0.1:${taken}"`).replace('admin: { listen_addr: "127.0.0.1:0" }', `admin: { listen_addr: "127.0.0.1:${adminPort}" }`);
      await expect(startProx({ config: text, logger: new RecordingLogger() })).rejects.toThrow(/address already in use/);
      // The admin listener had started before the public one failed; it is closed again.
      expect(await refused(adminPort)).toBe(true);
    } finally {
      holder.close();
      await once(holder, 'close');
    }
  });

  it('validates text like `prox validate`: findings carry the YAML line and column', () => {
    const result = validateConfig('listen_addr: "127.0.0.1:8080"\nroutes:\n  "/api": { type: proxy, target: "ftp://x" }\n', { file: 'edge.yaml' });
    expect(result.ok).toBe(false);
    expect(result.errors.map((error) => [error.file, error.line, error.col, error.path])).toEqual([['edge.yaml', 3, 34, '/routes/~1api/target']]);
    expect(validateConfig(configFor(a)).ok).toBe(true);
  });
});
