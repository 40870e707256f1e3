import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect, createServer as createTlsServer, TLSSocket } from 'node:tls';
import { AddressInfo } from 'node:net';
import { makeTestCa } from '../support/certificates';
import { freeLoopbackPort } from '../support/ports';
import { peakRssBytes, runProxCli, writeTempConfig } from '../support/prox-process';
import { answering, echo, exchange, startTcpProx, TcpProx } from '../support/tcp';
import { startTcpBackend, type TcpBackend } from '../support/backends';

const running: { stop(): Promise<unknown> }[] = [];
const backends: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const prox of running.splice(0)) await prox.stop();
  for (const backend of backends.splice(0)) await backend.close();
});

async function backend(handle: (socket: Socket) => void): Promise<TcpBackend> {
  const started = await startTcpBackend(handle, { allowHalfOpen: true });
  backends.push(started);
  return started;
}

async function prox(yaml: string, listeners = 1, fileName?: string): Promise<TcpProx> {
  const started = await startTcpProx(yaml, listeners, fileName);
  running.push(started);
  return started;
}

/** A port nothing listens on: a backend started and closed again. */
async function deadPort(): Promise<number> {
  const started = await startTcpBackend(() => undefined, { allowHalfOpen: true });
  await started.close();
  return started.port;
}

async function metric(target: TcpProx, name: string): Promise<string[]> {
  const text = await (await fetch(`${target.adminUrl}/metrics`)).text();
  return text.split('\n').filter((line) => line.startsWith(name));
}

const ADMIN = 'admin: { listen_addr: "127.0.0.1:0" }';

describe('tcp listeners', () => {
  it('relays bytes untouched both ways, keeps half-close, and logs and counts each connection', async () => {
    const echoBackend = await backend(echo);
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${echoBackend.address}"]\n${ADMIN}\naccess_log: { enabled: true }\n`);
    const payload = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) & 0xff;
    const logged = target.nextLog('tcp connection');
    // The client half-closes right after sending: the echo arrives after its FIN.
    const result = await exchange(target.ports[0]!, payload);
    expect(result.clean).toBe(true);
    expect(result.received.equals(payload)).toBe(true);
    const line = await logged;
    expect(line).toMatchObject({ type: 'tcp', backend: echoBackend.address, outcome: 'forwarded', close_reason: 'client_closed', bytes_in: payload.length, bytes_out: payload.length });
    expect(await metric(target, 'prox_tcp_connections_total')).toEqual([`prox_tcp_connections_total{listener="127.0.0.1:0#0",backend="${echoBackend.address}",outcome="forwarded"} 1`]);
    expect(await metric(target, 'prox_tcp_bytes_in_total')).toEqual([`prox_tcp_bytes_in_total{listener="127.0.0.1:0#0"} ${payload.length}`]);
    expect(await metric(target, 'prox_tcp_connections{')).toEqual(['prox_tcp_connections{listener="127.0.0.1:0#0"} 0']);
  });

  it('moves on to the next backend when a connect fails, before any byte is forwarded', async () => {
    const live = await backend(echo);
    const dead = await deadPort();
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["127.0.0.1:${dead}", "${live.address}"]\n${ADMIN}\n`);
    for (let i = 0; i < 6; i++) {
      const result = await exchange(target.ports[0]!, `hello ${i}`);
      expect(result.received.toString()).toBe(`hello ${i}`);
    }
    expect(live.accepted).toBe(6);
  });

  it('closes a client at once and counts it when no backend is available', async () => {
    const dead = await deadPort();
    const target = await prox(
      `tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["127.0.0.1:${dead}"]\n    health_check: { interval_secs: 60, unhealthy_threshold: 1 }\n${ADMIN}\n`,
    );
    const result = await exchange(target.ports[0]!, 'anyone?');
    expect(result.received.length).toBe(0);
    expect(await metric(target, 'prox_tcp_connections_total')).toEqual(['prox_tcp_connections_total{listener="127.0.0.1:0#0",backend="",outcome="no_backend"} 1']);
    // Health checks are shared with HTTP routes: the backend shows in /backends.
    const state = await (await fetch(`${target.adminUrl}/metrics`)).text();
    expect(state).toContain(`prox_backend_health_status{route="tcp 127.0.0.1:0#0",backend="tcp://127.0.0.1:${dead}"} 0`);
  });

  it('shows each listener in /backends: address, open connections, backends with health and active connections', async () => {
    const live = await backend(echo);
    const dead = await deadPort();
    const sniBackend = await backend(echo);
    const target = await prox(
      `tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${live.address}", "127.0.0.1:${dead}"]\n    strategy: least_connections\n` +
        `    health_check: { interval_secs: 60, unhealthy_threshold: 1 }\n    sni_routes: { "db.example.com": ["${sniBackend.address}"] }\n${ADMIN}\n`,
    );
    // One connection held open on the live backend (its echo proves the relay is up).
    const held = connect({ host: '127.0.0.1', port: target.ports[0]!, allowHalfOpen: true });
    held.write('not TLS: the default backends');
    await once(held, 'data');
    const view = (await (await fetch(`${target.adminUrl}/backends`)).json()) as { routes: unknown[]; tcp: Record<string, unknown>[] };
    held.destroy();
    expect(view.routes).toEqual([]);
    expect(view.tcp).toEqual([
      {
        listener: '127.0.0.1:0#0',
        address: `127.0.0.1:${target.ports[0]}`,
        strategy: 'least_connections',
        open_connections: 1,
        max_connections: 10000,
        pools: [
          {
            sni: null,
            route: 'tcp 127.0.0.1:0#0',
            backends: [
              expect.objectContaining({ address: live.address, url: `tcp://${live.address}`, available: true, healthy: true, active_connections: 1 }),
              expect.objectContaining({ address: `127.0.0.1:${dead}`, available: false, healthy: false, active_connections: 0, last_transition: expect.objectContaining({ to: 'unhealthy' }) }),
            ],
          },
          {
            sni: 'db.example.com',
            route: 'tcp 127.0.0.1:0#0 sni db.example.com',
            backends: [expect.objectContaining({ address: sniBackend.address, healthy: true, active_connections: 0 })],
          },
        ],
      },
    ]);
    const probes = (view.tcp[0]!['pools'] as { backends: { recent_probes: { passed: boolean; detail: string }[] }[] }[])[0]!.backends[1]!.recent_probes;
    expect(probes[0]).toMatchObject({ passed: false, detail: expect.stringContaining('connect failed') });
  });

  it('keeps memory bounded for a flood to a slow reader (pipe backpressure)', async () => {
    const floodBytes = 256 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const flood = await backend((socket) => {
      let sent = 0;
      Readable.from(
        (function* () {
          while (sent < floodBytes) {
            sent += chunk.length;
            yield chunk;
          }
        })(),
      ).pipe(socket);
    });
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${flood.address}"]\n${ADMIN}\n`);
    const before = peakRssBytes(target.child.pid!);
    const client = connect({ host: '127.0.0.1', port: target.ports[0]! });
    let received = 0;
    // A slow reader: one chunk, then a pause of a millisecond, over and over.
    client.on('data', (data: Buffer) => {
      received += data.length;
      client.pause();
      setTimeout(() => client.resume(), 1);
    });
    await once(client, 'end');
    expect(received).toBe(floodBytes);
    // A relay that buffered what the reader could not take yet would grow by most of the flood.
    // Not zero either: each socket read is a fresh 64 KiB Buffer, and V8 collects such external
    // memory only after about 64 MiB of it has piled up (Node 24 peaked at ~65 MiB here).
    expect(peakRssBytes(target.child.pid!) - before).toBeLessThan(floodBytes * 3 / 8);
    client.destroy();
  });

  it('cuts the client when its backend dies mid-stream, and keeps serving', async () => {
    const dying = await backend((socket) => {
      socket.write('partial answer');
      socket.once('data', () => socket.resetAndDestroy());
    });
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${dying.address}"]\n${ADMIN}\naccess_log: { enabled: true }\n`);
    const logged = target.nextLog('tcp connection');
    const client = connect({ host: '127.0.0.1', port: target.ports[0]! });
    const firstBytes = once(client, 'data');
    client.on('error', () => undefined);
    expect(String((await firstBytes)[0])).toBe('partial answer');
    client.write('go on');
    await once(client, 'close');
    expect(await logged).toMatchObject({ outcome: 'forwarded', close_reason: 'backend_error' });
    // The process is still there and serving.
    const again = connect({ host: '127.0.0.1', port: target.ports[0]! });
    again.on('error', () => undefined);
    expect(String((await once(again, 'data'))[0])).toBe('partial answer');
    again.destroy();
  });

  it('sends PROXY protocol v1 and v2 headers the backend can read', async () => {
    const heads: Buffer[] = [];
    const recorder = await backend((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (data: Buffer) => chunks.push(data));
      socket.on('end', () => {
        heads.push(Buffer.concat(chunks));
        socket.end();
      });
    });
    const target = await prox(
      `tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${recorder.address}"]\n    proxy_protocol: v1\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${recorder.address}"]\n    proxy_protocol: v2\n${ADMIN}\n`,
      2,
    );
    const [v1Port, v2Port] = target.ports as [number, number];
    const v1Client = connect({ host: '127.0.0.1', port: v1Port, allowHalfOpen: true });
    await once(v1Client, 'connect');
    const v1ClientPort = (v1Client.address() as AddressInfo).port;
    v1Client.end('payload');
    await once(v1Client, 'close');
    expect(heads[0]!.toString()).toBe(`PROXY TCP4 127.0.0.1 127.0.0.1 ${v1ClientPort} ${v1Port}\r\npayload`);

    const v2Client = connect({ host: '127.0.0.1', port: v2Port, allowHalfOpen: true });
    await once(v2Client, 'connect');
    const v2ClientPort = (v2Client.address() as AddressInfo).port;
    v2Client.end('payload');
    await once(v2Client, 'close');
    const head = heads[1]!;
    expect(head.subarray(0, 12)).toEqual(Buffer.from('0d0a0d0a000d0a515549540a', 'hex'));
    expect(head[12]).toBe(0x21); // v2, PROXY
    expect(head[13]).toBe(0x11); // TCP over IPv4
    expect(head.readUInt16BE(14)).toBe(12);
    expect([...head.subarray(16, 24)]).toEqual([127, 0, 0, 1, 127, 0, 0, 1]);
    expect(head.readUInt16BE(24)).toBe(v2ClientPort);
    expect(head.readUInt16BE(26)).toBe(v2Port);
    expect(head.subarray(28).toString()).toBe('payload');
  });

  it('believes a received PROXY header only from trusted_proxies', async () => {
    const heads: string[] = [];
    const recorder = await backend((socket) => {
      let text = '';
      socket.setEncoding('latin1').on('data', (data: string) => (text += data));
      socket.on('end', () => {
        heads.push(text);
        socket.end();
      });
    });
    const listener = (trusted: string) =>
      `tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${recorder.address}"]\n    proxy_protocol: v1\n    accept_proxy_protocol: true\ntrusted_proxies: [${trusted}]\n${ADMIN}\n`;
    const trusting = await prox(listener('loopback'));
    await exchange(trusting.ports[0]!, 'PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nhello');
    expect(heads[0]).toBe(`PROXY TCP4 203.0.113.7 127.0.0.1 40000 ${trusting.ports[0]}\r\nhello`);

    const untrusting = await prox(listener('"10.0.0.0/8"'));
    const sent = 'PROXY TCP4 203.0.113.7 198.51.100.1 40000 443\r\nhello';
    await exchange(untrusting.ports[0]!, sent);
    // Not trusted: the header is just bytes of the stream, and the real peer is announced.
    expect(heads[1]).toMatch(new RegExp(`^PROXY TCP4 127\\.0\\.0\\.1 127\\.0\\.0\\.1 \\d+ ${untrusting.ports[0]}\\r\\n${sent.replace(/\./g, '\\.').replace(/\r\n/, '\\r\\n')}$`));
  });

  it('passes TLS through by SNI name: the client verifies the backend certificate end to end', async () => {
    const ca = makeTestCa();
    const tlsBackend = async (name: string, certificate: { certPath: string; keyPath: string }) => {
      const server = createTlsServer({ cert: readFileSync(certificate.certPath), key: readFileSync(certificate.keyPath) }, (socket) => {
        socket.end(`served by ${name}`);
      });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      backends.push({ close: async () => void server.close() });
      return (server.address() as AddressInfo).port;
    };
    const dbPort = await tlsBackend('db', ca.issue('db', ['db.example.com']));
    const mqPort = await tlsBackend('mq', ca.issue('mq', ['*.mq.example.com']));
    const target = await prox(
      `tcp:\n  - listen_addr: "127.0.0.1:0"\n    sni_routes:\n      "db.example.com": ["127.0.0.1:${dbPort}"]\n      "*.mq.example.com": ["127.0.0.1:${mqPort}"]\n${ADMIN}\n`,
    );
    const ask = async (servername: string): Promise<{ authorized: boolean; text: string } | { error: string }> => {
      const socket: TLSSocket = tlsConnect({ host: '127.0.0.1', port: target.ports[0]!, servername, ca: readFileSync(ca.certPath) });
      let text = '';
      socket.setEncoding('utf8').on('data', (data: string) => (text += data));
      try {
        await once(socket, 'secureConnect');
      } catch (error) {
        return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
      }
      await once(socket, 'end');
      socket.destroy();
      return { authorized: socket.authorized, text };
    };
    expect(await ask('db.example.com')).toEqual({ authorized: true, text: 'served by db' });
    expect(await ask('eu.mq.example.com')).toEqual({ authorized: true, text: 'served by mq' });
    // No default backends: an unknown name is closed without an answer.
    expect(await ask('other.example.com')).toEqual({ error: 'ECONNRESET' });
  });

  it('reloads under load without losing a connection: new listeners, new backends, removed listeners drain', async () => {
    const first = await backend(answering('first'));
    const second = await backend(answering('second'));
    const held = await backend(() => undefined);
    const yaml = (addrs: string, extra = '') => `tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: [${addrs}]\n${extra}${ADMIN}\nshutdown_timeout_secs: 30\n`;
    const target = await prox(yaml(`"${first.address}"`, `  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${held.address}"]\n`), 2);
    const [mainPort, removedPort] = target.ports as [number, number];
    // A connection on the listener about to be removed, still open across the reload.
    const lingering = connect({ host: '127.0.0.1', port: removedPort, allowHalfOpen: true });
    await once(lingering, 'connect');

    let stopLoad = false;
    const answers: string[] = [];
    const load = (async () => {
      while (!stopLoad) answers.push((await exchange(mainPort, 'x')).received.toString());
    })();
    const reloaded = target.nextLog('config reloaded');
    const added = target.nextLog('tcp listening');
    // The held listener is gone; a new one (on the second backend) appears; the first now uses the second backend.
    const addedPort = await freeLoopbackPort();
    writeFileSync(target.configFile, yaml(`"${second.address}"`, `  - listen_addr: "127.0.0.1:${addedPort}"\n    backend_addrs: ["${second.address}"]\n`));
    await reloaded;
    const addedLine = await added;
    const afterReload = answers.length;
    // Bounded: a few more exchanges after the reload, which must all reach the new backend set.
    while (answers.length < afterReload + 5) await new Promise((resolve) => setImmediate(resolve));
    stopLoad = true;
    await load;
    expect(answers.every((answer) => answer === 'first' || answer === 'second')).toBe(true);
    expect(answers.slice(afterReload + 1)).toEqual(answers.slice(afterReload + 1).map(() => 'second'));
    expect(addedLine['address']).toBe(`127.0.0.1:${addedPort}`);
    expect((await exchange(addedPort, 'y')).received.toString()).toBe('second');
    // The removed listener accepts no more connections.
    expect((await exchange(removedPort, 'z')).received.toString()).toBe('');
    // The lingering connection on the removed listener still works (it drains, it is not cut).
    expect(lingering.destroyed).toBe(false);
    lingering.destroy();
  });
});

/** A client connection whose relay to an echo backend is up (its first bytes came back). */
async function relayed(port: number): Promise<Socket> {
  // Not half-open: a FIN from prox closes it, so 'close' tells that prox ended the connection.
  const socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  socket.write('hello');
  await once(socket, 'data');
  return socket;
}

describe('tcp connection limits and shutdown', () => {
  it('closes a connection idle for idle_timeout_secs', async () => {
    const echoBackend = await backend(echo);
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${echoBackend.address}"]\n    idle_timeout_secs: 0.2\n${ADMIN}\naccess_log: { enabled: true }\n`);
    const logged = target.nextLog('tcp connection');
    const idle = await relayed(target.ports[0]!);
    await once(idle, 'close');
    expect(await logged).toMatchObject({ outcome: 'forwarded', close_reason: 'idle_timeout', bytes_in: 5, bytes_out: 5 });
  });

  it('closes connections beyond max_connections at once and counts them as rejected', async () => {
    const echoBackend = await backend(echo);
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${echoBackend.address}"]\n    max_connections: 1\n${ADMIN}\naccess_log: { enabled: true }\n`);
    const held = await relayed(target.ports[0]!);
    const logged = target.nextLog('tcp connection');
    expect((await exchange(target.ports[0]!, 'one too many')).received.length).toBe(0);
    expect(await logged).toMatchObject({ backend: null, outcome: 'rejected', close_reason: 'max_connections' });
    expect(await metric(target, 'prox_tcp_connections_total')).toEqual(['prox_tcp_connections_total{listener="127.0.0.1:0#0",backend="",outcome="rejected"} 1']);
    // The held connection was not disturbed.
    held.write('still here');
    const [echoed] = (await once(held, 'data')) as [Buffer];
    expect(echoed.toString()).toBe('still here');
    held.destroy();
  });

  it('drains on SIGTERM: open connections finish, new ones are refused, prox exits 0', async () => {
    const echoBackend = await backend(echo);
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${echoBackend.address}"]\n${ADMIN}\nshutdown_timeout_secs: 30\n`);
    const port = target.ports[0]!;
    const open = await relayed(port);
    const exited = once(target.child, 'exit');
    const shuttingDown = target.nextLog('shutting down');
    target.child.kill('SIGTERM');
    await shuttingDown;
    // Bounded: the listener stops accepting right after the log line.
    let refused = false;
    for (let attempt = 0; attempt < 50 && !refused; attempt++) refused = !(await exchange(port, 'late')).clean;
    expect(refused).toBe(true);
    open.write(' and goodbye');
    const [echoed] = (await once(open, 'data')) as [Buffer];
    expect(echoed.toString()).toBe(' and goodbye');
    const ended = once(open, 'end');
    open.end();
    await ended;
    const [code] = await exited;
    expect(code).toBe(0);
    expect(target.logs.find((line) => line['msg'] === 'stopped')?.['drained']).toBe(true);
  });

  it('closes connections still open at shutdown_timeout_secs (close_reason shutdown), and exits 0', async () => {
    const echoBackend = await backend(echo);
    const target = await prox(`tcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["${echoBackend.address}"]\n${ADMIN}\nshutdown_timeout_secs: 0.3\naccess_log: { enabled: true }\n`);
    const open = await relayed(target.ports[0]!);
    const closed = once(open, 'close');
    const logged = target.nextLog('tcp connection');
    const exited = once(target.child, 'exit');
    target.child.kill('SIGTERM');
    await closed;
    expect(await logged).toMatchObject({ outcome: 'forwarded', close_reason: 'shutdown' });
    const [code] = await exited;
    expect(code).toBe(0);
    expect(target.logs.find((line) => line['msg'] === 'stopped')?.['drained']).toBe(false);
  });
});

describe('workers with tcp listeners', () => {
  it('are refused by validate (line and hint) and by serve, which does not start', async () => {
    const file = writeTempConfig('workers: 2\ntcp:\n  - listen_addr: "127.0.0.1:0"\n    backend_addrs: ["127.0.0.1:9"]\n');
    const validated = await runProxCli(['validate', '--config', file]);
    expect(validated.code).toBe(1);
    expect(validated.stdout + validated.stderr).toContain(`${file}:1:10  error  workers  tcp listeners run in one process: workers must be 1 with tcp:`);
    expect(validated.stdout + validated.stderr).toContain('hint: remove workers (or set workers: 1)');
    const served = await runProxCli(['serve', '--config', file]);
    expect(served.code).toBe(1);
    expect(served.stdout + served.stderr).not.toContain('listening');
  });
});

describe('the Apex TCP proxy config.toml', () => {
  it('validates unchanged: a listener on 127.0.0.1:8081', async () => {
    const file = writeTempConfig('backend_addrs = ["127.0.0.1:9000", "127.0.0.1:9001"]\n', 'config.toml');
    const result = await runProxCli(['validate', '--config', file]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('valid');
    expect(result.stdout).toContain('127.0.0.1:8081');
  });

  it('points validate errors at the TOML line and column', async () => {
    const file = writeTempConfig('# Apex backends\nbackend_addrs = [\n  "127.0.0.1:9000",\n  "127.0.0.1:none",\n]\n', 'config.toml');
    const result = await runProxCli(['validate', '--config', file]);
    expect(result.code).toBe(1);
    expect(result.stdout + result.stderr).toContain(`${file}:4:3  error  tcp[0].backend_addrs[1]  port "none" of backend "127.0.0.1:none" is not a number from 1 to 65535`);
  });

  it('serves round robin over backend_addrs and reloads when the file changes', async () => {
    const a = await backend(answering('a'));
    const b = await backend(answering('b'));
    // listen_addr: the one line added to the Apex file, so the test needs no fixed port.
    const toml = (addrs: string[]) => `listen_addr = "127.0.0.1:0"\nbackend_addrs = [${addrs.map((addr) => `"${addr}"`).join(', ')}]\n`;
    const target = await prox(toml([a.address, b.address]), 1, 'config.toml');
    const served: string[] = [];
    for (let i = 0; i < 4; i++) served.push((await exchange(target.ports[0]!, '')).received.toString());
    expect(served.sort()).toEqual(['a', 'a', 'b', 'b']);
    const reloaded = target.nextLog('config reloaded');
    writeFileSync(target.configFile, toml([b.address]));
    await reloaded;
    for (let i = 0; i < 3; i++) expect((await exchange(target.ports[0]!, '')).received.toString()).toBe('b');
  });
});
