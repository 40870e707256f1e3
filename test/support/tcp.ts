import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { connect, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followLogs, PROX_BIN, PROX_NODE } from './prox-process';

/** A prox whose config has `tcp:` listeners (maybe nothing else): ready once each has logged `tcp listening`. */
export interface TcpProx {
  readonly child: ChildProcess;
  readonly configFile: string;
  /** Bound ports of the tcp listeners, in the order they were logged. */
  readonly ports: number[];
  readonly adminUrl: string;
  readonly logs: Record<string, unknown>[];
  /** The next log line with this msg (lines already printed do not count). */
  nextLog(msg: string, where?: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  stop(): Promise<number | null>;
}

/** Starts `prox serve` on `text` written to `fileName` (config.yaml, config.toml) in a fresh directory. */
export async function startTcpProx(text: string, listeners: number, fileName = 'config.yaml'): Promise<TcpProx> {
  const dir = mkdtempSync(join(tmpdir(), 'prox-tcp-'));
  const configFile = join(dir, fileName);
  writeFileSync(configFile, text);
  const child = spawn(PROX_NODE, [PROX_BIN, 'serve', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'] });
  const { logs, nextLog, stderr, exited, stop } = followLogs(child);
  const ports: number[] = [];
  const failed = exited.then(([code]) => {
    throw new Error(`prox exited with ${String(code)} before listening:\n${stderr()}\n${JSON.stringify(logs)}`);
  });
  // Lines may arrive together: count the ones logged so far rather than waiting for each.
  let seen = 0;
  await Promise.race([
    new Promise<void>((resolve) => {
      const check = (): void => {
        seen = logs.filter((line) => line['msg'] === 'tcp listening').length;
        if (seen >= listeners) resolve();
        else void nextLog('tcp listening').then(check);
      };
      check();
    }),
    failed,
  ]);
  for (const line of logs.filter((entry) => entry['msg'] === 'tcp listening').slice(0, listeners)) {
    const address = String(line['address']);
    ports.push(Number(address.slice(address.lastIndexOf(':') + 1)));
  }
  const admin = logs.find((line) => line['msg'] === 'admin listening');
  const adminAddress = admin === undefined ? '' : String(admin['address']);
  return {
    child,
    configFile,
    ports,
    adminUrl: `http://127.0.0.1:${adminAddress.slice(adminAddress.lastIndexOf(':') + 1)}`,
    logs,
    nextLog,
    stop,
  };
}

/** Echoes every byte, and ends its side after the client's FIN (so half-close is observable). */
export function echo(socket: Socket): void {
  socket.pipe(socket);
}

/** Answers its name to every connection, after the client's FIN. */
export function answering(name: string): (socket: Socket) => void {
  return (socket) => {
    socket.resume();
    socket.on('end', () => socket.end(name));
  };
}

export interface Exchange {
  /** Everything the client received before the connection ended. */
  readonly received: Buffer;
  /** Whether it ended with a FIN (true) or an error / reset (false). */
  readonly clean: boolean;
}

/** Connects, sends `payload`, half-closes, and collects the answer until the connection ends. */
export async function exchange(port: number, payload: Buffer | string): Promise<Exchange> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const chunks: Buffer[] = [];
  let clean = false;
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('end', () => {
    clean = true;
    socket.end();
  });
  socket.on('error', () => undefined);
  const closed = new Promise((resolve) => socket.once('close', resolve));
  socket.end(payload);
  await closed;
  return { received: Buffer.concat(chunks), clean };
}
