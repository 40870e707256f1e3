// Tools on this machine, CPU pinning, file-descriptor limits and process memory.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { once } from 'node:events';

export function has(tool) {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function versionOf(command, args) {
  try {
    // nginx and wrk print their version on stderr.
    return execFileSync('sh', ['-c', '"$0" "$@" 2>&1', command, ...args], { encoding: 'utf8' }).split('\n')[0].trim();
  } catch (error) {
    return String(error.stdout ?? '').split('\n')[0].trim();
  }
}

/** Proxy on CPU 0, backend and load generator on CPU 1: only with taskset and 2+ CPUs. */
export const pinning = has('taskset') && availableParallelism() >= 2;

/** Prefix for a command pinned to `cpu` (null: unpinned), with the fd limit raised to the hard limit. */
export function command(cpu, file, args) {
  const pin = pinning && cpu !== null ? `taskset -c ${cpu} ` : '';
  return ['sh', ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${pin}"$@"`, 'sh', file, ...args]];
}

export function start(cpu, file, args, options = {}) {
  const [sh, shArgs] = command(cpu, file, args);
  const child = spawn(sh, shArgs, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  child.stderrText = '';
  child.stderr?.setEncoding('utf8').on('data', (t) => (child.stderrText = (child.stderrText + t).slice(-4000)));
  return child;
}

export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await once(child, 'exit');
  clearTimeout(timer);
}

export function hardFdLimit() {
  return Number(execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim()) || 1024;
}

function descendants(pid) {
  const out = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const kids = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (kids !== '') for (const kid of kids.split(' ')) out.push(...descendants(Number(kid)));
    }
  } catch {
    // gone, or not Linux
  }
  return out;
}

function rssKb(pid) {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Kernel clock ticks per second, the unit of /proc/<pid>/stat's CPU times. */
const CLOCK_TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

function cpuTicks(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/**
 * CPU seconds (user + system) a process and its descendants have used so far, from /proc.
 * The difference over a load run ÷ requests is the CPU per request: unlike req/s it barely
 * moves when other work shares the machine, and it counts every worker of `workers: N`.
 */
export function cpuSecondsOf(pid) {
  return descendants(pid).reduce((sum, p) => sum + cpuTicks(p), 0) / CLOCK_TICKS_PER_SECOND;
}

/** Samples the resident memory of a process and all its descendants; `stop()` gives the peak in bytes. */
export function sampleRss(pid, everyMs = 100) {
  let peak = 0;
  const sample = () => {
    const total = descendants(pid).reduce((sum, p) => sum + rssKb(p), 0) * 1024;
    if (total > peak) peak = total;
    return total;
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    now: sample,
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}

export function machine() {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpu}, ${availableParallelism()} CPUs, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${versionOf('uname', ['-r'])}, Node ${process.versions.node}`;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `predicate(text so far)` holds for a child's stdout (or its stderr). */
export async function waitForOutput(child, predicate, what, timeoutMs = 15_000) {
  let text = '';
  return new Promise((resolve, reject) => {
    // Detached once settled: a long-running child (e.g. prox printing --trace-gc-nvp lines)
    // must not grow `text` and re-run the predicate for the rest of its life.
    const settle = (finish, value) => {
      clearTimeout(timer);
      child.stdout?.off('data', check);
      child.stderr?.off('data', check);
      child.off('exit', exited);
      finish(value);
    };
    const timer = setTimeout(() => settle(reject, new Error(`${what}: not ready after ${timeoutMs} ms\n${text}\n${child.stderrText}`)), timeoutMs);
    const check = (chunk) => {
      text += chunk;
      const result = predicate(text);
      if (result) settle(resolve, result);
    };
    const exited = (code) => settle(reject, new Error(`${what} exited with ${code}\n${text}\n${child.stderrText}`));
    child.stdout?.setEncoding('utf8').on('data', check);
    child.stderr?.on('data', check);
    child.once('exit', exited);
  });
}

/** Resolves once something accepts TCP connections on the port. */
export async function waitForPort(port, what, timeoutMs = 15_000) {
  const { connect } = await import('node:net');
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => (socket.destroy(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`${what}: nothing listening on ${port}`);
    await sleep(50);
  }
}

export async function freePort() {
  const { createServer } = await import('node:net');
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}
