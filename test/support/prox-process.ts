import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

export const PROX_BIN = join(__dirname, '..', '..', 'dist', 'cli', 'main.js');

/**
 * The Node binary prox runs on: this test run's, or PROX_TEST_NODE=/path/to/node to run the
 * integration suites against prox on another Node version (e.g. 22 or 24, where it uses the
 * node:http server).
 */
export const PROX_NODE = process.env.PROX_TEST_NODE || process.execPath;

export interface ProxProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly baseUrl: string;
  readonly configFile: string;
  /** Port of the admin listener (metrics, readiness); tests get one on an ephemeral port. */
  readonly adminPort: number;
  readonly adminUrl: string;
  /** Every JSON log line prox printed so far. */
  readonly logs: Record<string, unknown>[];
  /** Resolves with the next log line whose msg equals `msg`. */
  nextLog(msg: string): Promise<Record<string, unknown>>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Tests run many prox processes at once: unless a config sets `admin:` itself, its admin
 * listener goes to an ephemeral port instead of the default 9901.
 */
export function withTestAdmin(yaml: string): string {
  if (/^admin:/m.test(yaml)) return yaml;
  return `${yaml.trimEnd()}\nadmin: { listen_addr: "127.0.0.1:0" }\n`;
}

export function writeTempConfig(yaml: string, fileName = 'config.yaml'): string {
  const dir = mkdtempSync(join(tmpdir(), 'prox-test-'));
  const file = join(dir, fileName);
  writeFileSync(file, yaml);
  return file;
}

/**
 * Runs the built `prox serve` as a real subprocess on the given config (listen port 0) and
 * resolves once it logs `listening`, with the bound port.
 */
/**
 * `fileName` other than config.yaml (another proxy's format, e.g. apex.toml) writes `yaml` as it
 * is: the caller sets the admin listener itself. `serveArgs` go after `serve --config FILE`
 * (e.g. `--no-watch`).
 */
export async function startProx(yaml: string, env: NodeJS.ProcessEnv = {}, fileName = 'config.yaml', serveArgs: readonly string[] = []): Promise<ProxProcess> {
  const configFile = fileName === 'config.yaml' ? writeTempConfig(withTestAdmin(yaml)) : writeTempConfig(yaml, fileName);
  const child = spawn(PROX_NODE, [PROX_BIN, 'serve', '--config', configFile, ...serveArgs], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { logs, nextLog, stderr, exited, stop } = followLogs(child);

  const adminListening = nextLog('admin listening');
  const listening = await Promise.race([
    nextLog('listening'),
    exited.then(([code]) => {
      throw new Error(`prox exited with ${String(code)} before listening:\n${stderr()}\n${JSON.stringify(logs)}`);
    }),
  ]);
  const address = String(listening.address);
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  // The admin listener (when on) reports before the public one.
  const adminLine = logs.find((line) => line.msg === 'admin listening');
  void adminListening;
  const adminAddress = adminLine === undefined ? '' : String(adminLine.address);
  const adminPort = adminLine === undefined ? 0 : Number(adminAddress.slice(adminAddress.lastIndexOf(':') + 1));
  return {
    child,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    configFile,
    adminPort,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    logs,
    nextLog,
    stop,
  };
}

/** Runs the CLI to completion and captures its output. */
export async function runProxCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(PROX_NODE, [PROX_BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
  const [code] = await once(child, 'exit');
  return { code: code as number | null, stdout, stderr };
}

/** Peak resident set size of a live process, from /proc (Linux), in bytes. */
export function peakRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  if (match === null) throw new Error('no VmHWM in /proc status');
  return Number(match[1]) * 1024;
}

/** Resets the peak resident set size of a live process (Linux `clear_refs`), so `peakRssBytes` measures from now on. */
export function resetPeakRss(pid: number): void {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

export type LogLine = Record<string, unknown>;

/**
 * Reads a prox process's JSON log lines as they come: every line in `logs`, `nextLog` for the
 * next one with a given msg (lines already printed do not count), stderr kept for error messages.
 */
export function followLogs(child: ChildProcess): {
  logs: LogLine[];
  nextLog(msg: string, where?: (line: LogLine) => boolean): Promise<LogLine>;
  stderr(): string;
  exited: Promise<unknown[]>;
  /** SIGTERM (unless it already exited), then its exit code. */
  stop(): Promise<number | null>;
} {
  const logs: LogLine[] = [];
  const waiters: { msg: string; where: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  let stderr = '';
  let buffered = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => {
    buffered += text;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) !== -1) {
      const raw = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      logs.push(line);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i].msg === line.msg && waiters[i].where(line)) waiters.splice(i, 1)[0].resolve(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = once(child, 'exit');
  return {
    logs,
    nextLog: (msg, where = () => true) => new Promise((resolve) => waiters.push({ msg, where, resolve })),
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await exited;
      return code as number | null;
    },
  };
}
