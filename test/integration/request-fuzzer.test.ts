import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { startBackend, type TestBackend } from '../support/backends';
import { makeTestCa } from '../support/certificates';
import { describeOnEngine, type Engine } from '../support/engines';
import { startProx, type ProxProcess } from '../support/prox-process';
import { openRawConnection, type RawConnectOptions } from '../support/raw-connection';

/**
 * A request fuzzer: request heads from the hygiene corpus, mutated at random (seeded), sent to a
 * running prox on each engine and on the TLS listener (HTTP/1.1 over TLS). Invariants:
 *   - the prox process never dies;
 *   - every connection is answered or closed by the server (none hangs past the timeouts);
 *   - a request refused by the hygiene checks never reaches the backend;
 *   - one client request never becomes two backend requests.
 *
 * Bounded and reproducible: PROX_FUZZ_SEED (printed at the start), PROX_FUZZ_CASES per engine (a
 * quarter of that on the TLS listener).
 * PROX_FUZZ_SEED=random draws a new seed.
 */
const SEED = process.env.PROX_FUZZ_SEED === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(process.env.PROX_FUZZ_SEED ?? 1203);
const CASES = Number(process.env.PROX_FUZZ_CASES ?? 1000);
const CONCURRENCY = 32;
/** Statuses prox answers from its hygiene checks, before any routing (not 408: a stalled body is answered 408 after its head was forwarded). */
const HYGIENE_STATUSES = new Set([400, 411, 413, 414, 417, 431, 501, 505]);

/** mulberry32: a small seeded PRNG, so a seed replays the same cases. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const H = 'Host: prox.test\r\n';
/** The hygiene corpus: each base is a request (or several) whose first path is `p`. */
const CORPUS: ((p: string) => string)[] = [
  (p) => `GET ${p} HTTP/1.1\r\n${H}\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5\r\n\r\nhello`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\nGET ${p}-s HTTP/1.1\r\n${H}\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\n${H}X-Folded: a\r\n b\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\n${H}X-Space : a\r\n\r\n`,
  (p) => `GET http://prox.test${p} HTTP/1.1\r\n${H}\r\n`,
  (p) => `GET ${p} HTTP/1.0\r\n${H}\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Expect: 100-continue\r\nContent-Length: 3\r\n\r\nabc`,
  (p) => `GET ${p} HTTP/1.1\r\n${H}\r\nGET ${p}-s HTTP/1.1\r\n${H}\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(3000)}\r\n\r\n`,
  (p) => `GET ${p}/../../admin HTTP/1.1\r\n${H}\r\n`,
  (p) => `GET ${p}%2F..%2F HTTP/1.1\r\n${H}Connection: close\r\n\r\n`,
  (p) => `GET ${p} HTTP/1.1\r\n${H}Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  (p) => `POST ${p} HTTP/1.1\r\n${H}Content-Length: 10\r\n\r\nshort`,
  (p) => `DELETE ${p} HTTP/1.1\r\n${H}Content-Length: 0\r\n\r\n`,
];

const NASTY = ['\r', '\n', '\r\n', '\0', ' ', '\t', ':', '\x7f', '\xff', 'Transfer-Encoding: chunked\r\n', 'Content-Length: 3\r\n', '\r\n\r\n', 'chunked', '0\r\n\r\n', '-1'];

function mutated(base: string, random: () => number): string {
  let text = base;
  const count = 1 + Math.floor(random() * 3);
  for (let i = 0; i < count; i++) {
    const at = Math.floor(random() * (text.length + 1));
    switch (Math.floor(random() * 7)) {
      case 0: // flip one byte
        text = text.slice(0, at) + String.fromCharCode(Math.floor(random() * 256)) + text.slice(at + 1);
        break;
      case 1: // insert something nasty
        text = text.slice(0, at) + NASTY[Math.floor(random() * NASTY.length)] + text.slice(at);
        break;
      case 2: // delete a few bytes
        text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 4));
        break;
      case 3: {
        // repeat a header line (never the request line: that would be a second client request)
        const lines = text.split('\r\n');
        const headerEnd = lines.indexOf('');
        if (headerEnd > 1) {
          const pick = 1 + Math.floor(random() * (headerEnd - 1));
          lines.splice(pick, 0, lines[pick]);
          text = lines.join('\r\n');
        }
        break;
      }
      case 4: // flip the case of a stretch
        text = text.slice(0, at) + text.slice(at, at + 8).replace(/[a-z]/gi, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase())) + text.slice(at + 8);
        break;
      case 5: // truncate
        text = text.slice(0, Math.max(1, at));
        break;
      default: // lone LF line endings from here on
        text = text.slice(0, at) + text.slice(at).replace(/\r\n/g, '\n');
    }
  }
  return text;
}

interface Outcome {
  readonly marker: string;
  readonly payload: string;
  readonly halfClose: boolean;
  readonly text: string;
  readonly closedByServer: boolean;
}

/** Sends one case; the client half-closes after sending (most cases) or waits (the timeouts' turn). */
function runCase(port: number, tls: RawConnectOptions['tls'], payload: string, halfClose: boolean, marker: string, hangLimitMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket: Socket =
      tls === undefined ? connect(port, '127.0.0.1') : connectTls({ host: '127.0.0.1', port, ca: tls.ca, servername: tls.servername, ALPNProtocols: ['http/1.1'] });
    let text = '';
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ marker, payload, halfClose, text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), hangLimitMs);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (text += chunk));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on(tls === undefined ? 'connect' : 'secureConnect', () => {
      socket.write(Buffer.from(payload, 'latin1'));
      if (halfClose) socket.end();
    });
  });
}

function firstStatus(text: string): number | null {
  const match = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
  return match === null ? null : Number(match[1]);
}

let backend: TestBackend;

beforeAll(async () => {
  backend = await startBackend();
  // The seed is what makes a failure reproducible.
  console.log(`request fuzzer: PROX_FUZZ_SEED=${SEED} PROX_FUZZ_CASES=${CASES}`);
});

afterAll(async () => {
  await backend?.close();
});

/** Where the cases go: the plaintext listener on each engine, and the TLS listener (node's on every engine). */
interface Target {
  /** In each case's path, so the backend's log tells targets apart. */
  readonly key: 'llhttp' | 'node' | 'uws' | 'tls';
  /** Mixed into the seed: each target gets its own cases (node's and uws's are the ones they always had). */
  readonly salt: number;
  /** A connection must be answered or closed within the timeouts (µWS: its fixed 10 s idle timeout), with room for a loaded machine. */
  readonly hangLimitMs: number;
  /** Cases sent to this target (default PROX_FUZZ_CASES). */
  readonly cases?: number;
}

const LIMITS = 'limits: { header_timeout_secs: 1, body_timeout_secs: 1, keepalive_timeout_secs: 1, max_connections_per_ip: null, max_connections: null }';
const ROUTES = (): string[] => ['routes:', '  "/api": { type: proxy, target: "' + backend.url + '", retries: { attempts: 0 } }'];

function fuzz(target: Target, started: () => { readonly prox: ProxProcess; readonly tls: RawConnectOptions['tls'] }): void {
  const count = target.cases ?? CASES;
  it(`keeps every invariant over ${count} mutated requests (seed ${SEED})`, async () => {
    const { prox, tls } = started();
    const random = prng(SEED ^ target.salt);
    const cases = Array.from({ length: count }, (_, n) => {
      // A random token per case: a mutation of one case's path cannot become another case's.
      const token = Array.from({ length: 8 }, () => String.fromCharCode(97 + Math.floor(random() * 26))).join('');
      const marker = `/api/fz-${target.key}-${n}-${token}`;
      const base = CORPUS[Math.floor(random() * CORPUS.length)](marker);
      return { marker, payload: random() < 0.8 ? mutated(base, random) : base, halfClose: random() < 0.85 };
    });
    const outcomes: Outcome[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < cases.length) {
        const item = cases[next++];
        outcomes.push(await runCase(prox.port, tls, item.payload, item.halfClose, item.marker, target.hangLimitMs));
        expect(prox.child.exitCode).toBeNull();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    // Barrier: a request served after every case, so anything forwarded earlier has arrived.
    const barrier = await openRawConnection(prox.port, tls === undefined ? {} : { tls });
    barrier.socket.write(`GET /api/fz-${target.key}-barrier HTTP/1.1\r\n${H}Connection: close\r\n\r\n`);
    await barrier.closed;
    expect(firstStatus(barrier.received())).toBe(200);
    expect(prox.child.exitCode).toBeNull();

    // Every case's connection is gone: no request may stay in flight (one that does also keeps
    // SIGTERM from ever finishing). The gauge settles as prox notices the closes.
    const inFlight = async (): Promise<number> => {
      const exposition = await (await fetch(`${prox.adminUrl}/metrics`)).text();
      return exposition.split('\n').filter((line) => line.startsWith('prox_in_flight_requests')).reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
    };
    let left = await inFlight();
    for (let attempt = 0; attempt < 100 && left > 0; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      left = await inFlight();
    }
    expect({ seed: SEED, inFlight: left }).toEqual({ seed: SEED, inFlight: 0 });

    const hung = outcomes.filter((outcome) => !outcome.closedByServer);
    const forwarded = new Map<string, number>();
    for (const request of backend.received) forwarded.set(request.url, (forwarded.get(request.url) ?? 0) + 1);
    // A mutation can turn one case's path into another's (a deleted or flipped digit): a path is
    // over-forwarded only when the backend saw it more often than all clients together sent it.
    const escaped = (url: string): string => url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const timesSent = (url: string): number =>
      outcomes.reduce((sum, outcome) => sum + (outcome.payload.match(new RegExp(`${escaped(url)}(?=[\\s?#]|$)`, 'g'))?.length ?? 0), 0);
    const twice = [...forwarded]
      .filter(([url, count]) => url.includes(`/fz-${target.key}-`) && !url.endsWith('-barrier') && count > timesSent(url))
      .map(([url, count]) => `${url} forwarded ${count} times, sent ${timesSent(url)}`);
    const leaked = outcomes.filter((outcome) => {
      const status = firstStatus(outcome.text);
      if (status === null || !HYGIENE_STATUSES.has(status) || outcome.text.includes('"url"')) return false;
      const token = outcome.marker.slice(outcome.marker.lastIndexOf('-') + 1);
      return backend.received.some((request) => request.url.includes(token));
    });
    const report = (list: Outcome[]): string[] => list.slice(0, 5).map((outcome) => `${outcome.marker}${outcome.halfClose ? ' (half-closed)' : ''}: sent ${JSON.stringify(outcome.payload.slice(0, 300))}, got ${JSON.stringify(outcome.text.slice(0, 200))}`);
    expect({ seed: SEED, hung: report(hung) }).toEqual({ seed: SEED, hung: [] });
    expect({ seed: SEED, twice }).toEqual({ seed: SEED, twice: [] });
    expect({ seed: SEED, leaked: report(leaked) }).toEqual({ seed: SEED, leaked: [] });
  }, 600_000);
}

const ENGINE_TARGETS: readonly Target[] = [
  { key: 'llhttp', salt: 0x7f4a7c15, hangLimitMs: 15_000 },
  { key: 'node', salt: 0, hangLimitMs: 15_000 },
  { key: 'uws', salt: 0x9e3779b9, hangLimitMs: 25_000 },
];

for (const target of ENGINE_TARGETS) {
  const engine = target.key as Engine;
  describeOnEngine(engine, `request fuzzer on the ${engine} engine`, () => {
    let prox: ProxProcess;

    beforeAll(async () => {
      prox = await startProx(['listen_addr: "127.0.0.1:0"', LIMITS, ...ROUTES()].join('\n'), { PROX_HTTP_SERVER: engine });
    });

    afterAll(async () => {
      await prox?.stop();
    });

    fuzz(target, () => ({ prox, tls: undefined }));
  });
}

describe('request fuzzer on the TLS listener (HTTP/1.1 over TLS)', () => {
  let prox: ProxProcess;
  let tls: RawConnectOptions['tls'];

  beforeAll(async () => {
    const authority = makeTestCa();
    const certificate = authority.issue('fuzz', ['fuzz.test']);
    tls = { ca: readFileSync(authority.certPath), servername: 'fuzz.test' };
    // Only the TLS listener (no http_listen_addr): PROX_HTTP_SERVER of an outer run has nothing to choose.
    prox = await startProx(['listen_addr: "127.0.0.1:0"', 'tls:', `  cert_path: "${certificate.certPath}"`, `  key_path: "${certificate.keyPath}"`, LIMITS, ...ROUTES()].join('\n'), {
      PROX_HTTP_SERVER: '',
    });
  });

  afterAll(async () => {
    await prox?.stop();
  });

  // A quarter of the cases (each one a TLS handshake, the costly part on a loaded 2-core machine),
  // and the safety net of the µWS target for the same reason.
  fuzz({ key: 'tls', salt: 0x85ebca6b, hangLimitMs: 25_000, cases: Math.ceil(CASES / 4) }, () => ({ prox, tls }));
});
