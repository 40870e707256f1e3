// Load generators: wrk (with a Lua script for percentiles and error counts) or autocannon,
// plus a client holding thousands of idle keep-alive connections.
import { execFile, spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { command, has } from './system.mjs';

const run = promisify(execFile);

export const loadTool = process.env.BENCH_LOAD ?? (has('wrk') ? 'wrk' : 'autocannon');

const REPORT_LUA = `
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_JSON {"requests":%d,"bytes":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"p999_us":%d,"errors":%d,"non2xx":%d}\\n',
    summary.requests, summary.bytes, summary.duration, latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect + e.read + e.write + e.timeout, e.status))
end
`;

/**
 * One load run. `kind`: 'get' (keep-alive), 'close' (Connection: close), 'upload' (POST of
 * `bodyBytes`), 'h2' (HTTP/2 GETs with `streams` concurrent streams per connection, by h2load).
 * Returns { rps, mbps, p50Ms, p99Ms, p999Ms, errors }.
 */
export async function drive({ url, seconds, connections, kind = 'get', bodyBytes = 0, streams = 1, dir, cpu }) {
  if (kind === 'h2') return h2load({ url, seconds, connections, streams, dir, cpu });
  return loadTool === 'wrk' ? wrk({ url, seconds, connections, kind, bodyBytes, dir, cpu }) : autocannon({ url, seconds, connections, kind, bodyBytes });
}

async function wrk({ url, seconds, connections, kind, bodyBytes, dir, cpu }) {
  const script = join(dir, `wrk-${kind}.lua`);
  const setup =
    kind === 'upload'
      ? `wrk.method = "POST"\nwrk.body = string.rep("x", ${bodyBytes})\nwrk.headers["Content-Type"] = "application/octet-stream"\n`
      : kind === 'close'
        ? 'wrk.headers["Connection"] = "close"\n'
        : '';
  writeFileSync(script, setup + REPORT_LUA);
  const [sh, args] = command(cpu, 'wrk', ['-t1', `-c${connections}`, `-d${seconds}s`, '--timeout', '10s', '-s', script, url]);
  const { stdout } = await run(sh, args, { maxBuffer: 1 << 20 });
  const json = JSON.parse(/BENCH_JSON (.*)/.exec(stdout)[1]);
  const secs = json.duration_us / 1e6;
  return {
    rps: json.requests / secs,
    mbps: json.bytes / secs / 1e6,
    p50Ms: json.p50_us / 1000,
    p99Ms: json.p99_us / 1000,
    p999Ms: json.p999_us / 1000,
    errors: json.errors + json.non2xx,
    requests: json.requests,
  };
}

/** h2load (Debian: nghttp2-client) over TLS with ALPN h2; percentiles from its per-request log. */
async function h2load({ url, seconds, connections, streams, dir, cpu }) {
  if (!has('h2load')) throw new Error('h2load is not installed (sudo apt-get install nghttp2-client)');
  const log = join(dir, 'h2load.log');
  rmSync(log, { force: true });
  const [sh, args] = command(cpu, 'h2load', ['-t1', `-c${connections}`, `-m${streams}`, `-D${seconds}`, `--log-file=${log}`, url]);
  const { stdout } = await run(sh, args, { maxBuffer: 1 << 22 });
  const finished = /finished in ([\d.]+)s, ([\d.]+) req\/s, ([\d.]+)([KMG]?)B\/s/.exec(stdout);
  const counts = /requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(stdout);
  const twoXx = /status codes: (\d+) 2xx/.exec(stdout);
  if (finished === null || counts === null) throw new Error(`h2load: unexpected output: ${stdout.slice(-500)}`);
  const unit = { '': 1, K: 1e3, M: 1e6, G: 1e9 }[finished[4]];
  const durations = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((line) => Number(line.split('\t')[2])).sort((a, b) => a - b);
  const at = (q) => (durations.length === 0 ? NaN : durations[Math.min(durations.length - 1, Math.floor(q * durations.length))] / 1000);
  const done = Number(counts[2]);
  return {
    rps: Number(finished[2]),
    mbps: (Number(finished[3]) * unit) / 1e6,
    p50Ms: at(0.5),
    p99Ms: at(0.99),
    p999Ms: at(0.999),
    errors: Number(counts[4]) + Number(counts[5]) + Number(counts[6]) + (done - Number(twoXx?.[1] ?? done)),
    requests: done,
  };
}

async function autocannon({ url, seconds, connections, kind, bodyBytes }) {
  const { default: autocannon } = await import('autocannon');
  const result = await autocannon({
    url,
    duration: seconds,
    connections,
    method: kind === 'upload' ? 'POST' : 'GET',
    body: kind === 'upload' ? Buffer.alloc(bodyBytes, 'x') : undefined,
    headers: kind === 'close' ? { connection: 'close' } : {},
  });
  const secs = result.duration;
  return {
    rps: result.requests.total / secs,
    mbps: result.throughput.total / secs / 1e6,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    p999Ms: result.latency.p99_9 ?? result.latency.p99,
    errors: result.errors + result.timeouts + result.non2xx,
    requests: result.requests.total,
  };
}

/**
 * Opens `count` keep-alive connections, makes one request on each, and holds them. Resolves
 * with { opened, release() } once all are open; the client runs in its own process with the
 * file-descriptor limit raised.
 */
export async function holdIdleConnections({ port, count, cpu }) {
  const script = new URL('./idle-client.mjs', import.meta.url).pathname;
  const [sh, args] = command(cpu, process.execPath, [script, String(port), String(count)]);
  const child = spawn(sh, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  child.stdout.setEncoding('utf8');
  const opened = await new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      text += chunk;
      const match = /OPEN (\d+) FAILED (\d+)/.exec(text);
      if (match) resolve({ opened: Number(match[1]), failed: Number(match[2]) });
    });
    child.once('exit', (code) => reject(new Error(`idle client exited with ${code}: ${text}`)));
  });
  return {
    ...opened,
    release: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}
