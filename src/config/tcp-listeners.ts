import { isIP } from 'node:net';
import type { ConfigPath } from './config-path';
import { DEFAULTS } from './defaults';
import type { DiagnosticList } from './diagnostics';
import { formatListenAddress, isListenAddressProblem, parseListenAddress, sameListenAddress } from './listen-address';
import type { ListenAddress, TcpBackendAddress, TcpHealthCheckSpec, TcpListenerConfig } from './model';
import { asRecord, asString, type RawConfig } from './raw-config';

type RawTcpListener = NonNullable<RawConfig['tcp']>[number];

const BACKEND_HINT = "write a backend as IP:PORT or host:port, e.g. '127.0.0.1:9000', '[::1]:9000' or 'db.internal:5432'";

/** A TCP backend address: `IP:PORT`, `[IPv6]:PORT` or `host:port` (names resolve at connect time). */
export function parseTcpBackendAddress(text: string): { host: string; port: number } | { message: string } {
  const bracketed = /^\[([^\]]*)\]:([0-9]{1,5})$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (isIP(host) !== 6) return { message: `"${host}" is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return { message: `backend "${text}" has no port` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) return { message: `IPv6 address in "${text}" must be in brackets` };
    if (isIP(host) === 0 && !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(host)) {
      return { message: `"${host}" is neither an IP address nor a host name` };
    }
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535)) return { message: `port "${portText}" of backend "${text}" is not a number from 1 to 65535` };
  return { host, port };
}

/**
 * What the schema cannot say about `tcp:` and the top level it shares: listener and backend
 * addresses that must parse, listeners that collide with each other or the HTTP listeners, a
 * listener without any backend, and a config with nothing to serve.
 */
export function checkTcpListeners(config: Readonly<Record<string, unknown>>, out: DiagnosticList): void {
  const listeners = Array.isArray(config['tcp']) ? (config['tcp'] as unknown[]) : [];
  if (!('routes' in config) && listeners.length === 0) {
    out.error([], 'the config has neither routes nor tcp listeners: there is nothing to serve', {
      hint: 'add "listen_addr:" and "routes:" for HTTP, or a "tcp:" list of listeners (docs/tcp.md)',
    });
  } else if ('routes' in config && !('listen_addr' in config)) {
    out.error([], 'routes need "listen_addr:", the address of the HTTP listener', { hint: "add e.g. listen_addr: '127.0.0.1:3000'" });
  } else if ('listen_addr' in config && !('routes' in config)) {
    out.warning(['listen_addr'], 'listen_addr without routes opens no HTTP listener', { anchor: 'key', hint: 'add routes, or remove listen_addr' });
  }
  const workers = config['workers'];
  if (listeners.length > 0 && workers !== undefined && workers !== 1) {
    // Each worker would bind the same tcp port (node:net on Node 20 has no SO_REUSEPORT).
    out.error(['workers'], 'tcp listeners run in one process: workers must be 1 with tcp: (each worker would bind the same tcp ports)', {
      hint: 'remove workers (or set workers: 1); to run HTTP on several workers, put the tcp listeners in a prox of their own (a second config file)',
    });
  }
  const taken: { address: ListenAddress; at: string }[] = [];
  for (const httpField of ['listen_addr'] as const) {
    const text = asString(config[httpField]);
    const parsed = text === undefined ? null : parseListenAddress(text);
    if (parsed !== null && !isListenAddressProblem(parsed) && 'routes' in config) taken.push({ address: parsed, at: httpField });
  }
  listeners.forEach((value, index) => {
    const listener = asRecord(value);
    if (!listener) return;
    const at: ConfigPath = ['tcp', String(index)];
    const text = asString(listener['listen_addr']);
    if (text !== undefined) {
      const parsed = parseListenAddress(text);
      if (isListenAddressProblem(parsed)) {
        out.error([...at, 'listen_addr'], `invalid listen address: ${parsed.message}`, { hint: parsed.hint });
      } else {
        const clash = taken.find((other) => sameListenAddress(other.address, parsed));
        if (clash !== undefined) {
          out.error([...at, 'listen_addr'], `${formatListenAddress(parsed)} is already used by ${clash.at}`, { hint: 'every listener needs its own address' });
        }
        taken.push({ address: parsed, at: `tcp[${index}]` });
      }
    }
    checkBackends(listener, at, out);
  });
}

function checkBackends(listener: Readonly<Record<string, unknown>>, at: ConfigPath, out: DiagnosticList): void {
  const hasAddrs = Array.isArray(listener['backend_addrs']);
  const hasTargets = Array.isArray(listener['targets']);
  const sni = asRecord(listener['sni_routes']);
  if (hasAddrs && hasTargets) {
    out.error([...at, 'targets'], 'a tcp listener takes backend_addrs or targets, not both', { anchor: 'key', hint: 'move every backend into one of the two lists' });
  }
  const written: { text: unknown; path: ConfigPath }[] = [];
  if (hasAddrs) (listener['backend_addrs'] as unknown[]).forEach((text, i) => written.push({ text, path: [...at, 'backend_addrs', String(i)] }));
  if (hasTargets) {
    (listener['targets'] as unknown[]).forEach((entry, i) => written.push({ text: asRecord(entry)?.['addr'], path: [...at, 'targets', String(i), 'addr'] }));
  }
  for (const [name, list] of Object.entries(sni ?? {})) {
    if (!/^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*\.?$/i.test(name)) {
      out.error([...at, 'sni_routes', name], `"${name}" is not a host name or *.wildcard`, { anchor: 'key', hint: 'write e.g. "db.example.com" or "*.mq.example.com"' });
    }
    if (Array.isArray(list)) list.forEach((text, i) => written.push({ text, path: [...at, 'sni_routes', name, String(i)] }));
  }
  for (const { text, path } of written) {
    if (typeof text !== 'string' || text === '') continue;
    const parsed = parseTcpBackendAddress(text);
    if ('message' in parsed) out.error(path, parsed.message, { hint: BACKEND_HINT });
  }
  const defaults = (hasAddrs ? (listener['backend_addrs'] as unknown[]).length : 0) + (hasTargets ? (listener['targets'] as unknown[]).length : 0);
  if (defaults === 0 && Object.keys(sni ?? {}).length === 0) {
    out.error(at, 'a tcp listener needs backends: backend_addrs, targets or sni_routes', { anchor: 'key', hint: 'add e.g. backend_addrs: ["127.0.0.1:9000"]' });
  }
}

/** Builds the model of every `tcp:` listener from input that passed the checks. */
export function normaliseTcpListeners(raw: RawConfig): TcpListenerConfig[] {
  return (raw.tcp ?? []).map((listener) => normaliseListener(listener));
}

function normaliseListener(listener: RawTcpListener): TcpListenerConfig {
  const defaults = DEFAULTS.tcp;
  const written = listener.targets ?? (listener.backend_addrs ?? []).map((addr) => ({ addr, weight: undefined }));
  return {
    listenAddr: checked(parseListenAddress(listener.listen_addr)),
    backends: written.map((target) => backendAddress(target.addr, target.weight ?? DEFAULTS.targetWeight)),
    strategy: listener.strategy ?? defaults.strategy,
    healthCheck: healthCheck(listener.health_check),
    connectTimeoutSecs: listener.connect_timeout_secs ?? defaults.connectTimeoutSecs,
    idleTimeoutSecs: listener.idle_timeout_secs ?? defaults.idleTimeoutSecs,
    maxConnections: listener.max_connections ?? defaults.maxConnections,
    proxyProtocol: (listener.proxy_protocol ?? defaults.proxyProtocol) === 'none' ? null : (listener.proxy_protocol as 'v1' | 'v2'),
    acceptProxyProtocol: listener.accept_proxy_protocol ?? defaults.acceptProxyProtocol,
    sniRoutes: Object.entries(listener.sni_routes ?? {}).map(([name, backends]) => ({
      name: name.toLowerCase(),
      backends: backends.map((text) => backendAddress(text, DEFAULTS.targetWeight)),
    })),
  };
}

function healthCheck(block: RawTcpListener['health_check']): TcpHealthCheckSpec | null {
  const defaults = DEFAULTS.tcp.healthCheck;
  if (block === undefined || !(block.enabled ?? true)) return null;
  return {
    intervalSecs: block.interval_secs ?? defaults.intervalSecs,
    timeoutSecs: block.timeout_secs ?? defaults.timeoutSecs,
    unhealthyThreshold: block.unhealthy_threshold ?? defaults.unhealthyThreshold,
    healthyThreshold: block.healthy_threshold ?? defaults.healthyThreshold,
  };
}

function backendAddress(text: string, weight: number): TcpBackendAddress {
  const parsed = parseTcpBackendAddress(text);
  if ('message' in parsed) throw new Error(`unvalidated tcp backend reached normalise: ${parsed.message}`);
  return { ...parsed, weight };
}

function checked(parsed: ReturnType<typeof parseListenAddress>): ListenAddress {
  if (isListenAddressProblem(parsed)) throw new Error(`unvalidated tcp listen_addr reached normalise: ${parsed.message}`);
  return parsed;
}
