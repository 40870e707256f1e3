import * as zlib from 'node:zlib';
import proxyaddr from 'proxy-addr';
import type { DiagnosticList } from './diagnostics';
import { asRecord } from './raw-config';

/** Edge-policy rules the schema cannot express (docs/policies.md). */
export function checkRoutePolicies(at: readonly string[], route: Readonly<Record<string, unknown>>, out: DiagnosticList): void {
  checkIpFilter([...at, 'ip_filter'], route['ip_filter'], out);
  checkCors([...at, 'cors'], route['cors'], out);
  checkCompression([...at, 'compression'], route['compression'], out);
  checkJwt([...at, 'auth', 'jwt'], asRecord(route['auth'])?.['jwt'], out);
}

function checkJwt(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const url = asRecord(value)?.['jwks_url'];
  if (typeof url !== 'string' || !/^https?:\/\//.test(url)) return;
  let parsed: URL | null = null;
  try {
    parsed = new URL(url);
  } catch {
    // reported below
  }
  if (parsed === null || parsed.hostname === '' || parsed.username !== '' || parsed.hash !== '') {
    out.error([...at, 'jwks_url'], `"${url}" is not an absolute http(s) URL of a key set`, { hint: 'write the identity provider\'s JWKS address, e.g. https://idp.example.com/.well-known/jwks.json' });
  }
}

/** Node 22.15+ / 23.8+ compress zstd; Node 20 does not. */
const RUNTIME_HAS_ZSTD = typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function';

function checkCompression(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const algorithms = asRecord(value)?.['algorithms'];
  if (!Array.isArray(algorithms) || RUNTIME_HAS_ZSTD) return;
  const index = algorithms.indexOf('zstd');
  if (index === -1) return;
  const only = algorithms.length === 1;
  out.warning([...at, 'algorithms', String(index)], `zstd is not available on Node ${process.versions.node}${only ? ': this route compresses nothing' : ' and is skipped'}`, {
    hint: 'zstd needs Node 22.15 or newer; keep br and gzip in the list for older runtimes',
  });
}

function checkCors(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const block = asRecord(value);
  if (!block) return;
  const origins = block['allow_origins'];
  if (!Array.isArray(origins)) return;
  origins.forEach((origin: unknown, index) => {
    if (typeof origin !== 'string' || origin === '*' || origin === '') return;
    if (!isSerializedOrigin(origin)) {
      out.error([...at, 'allow_origins', String(index)], `"${origin}" is not an origin`, { hint: 'write scheme://host[:port] with no path or trailing /, e.g. https://app.example.com, or "*"' });
    }
  });
  if (origins.includes('*') && block['allow_credentials'] === true) {
    out.error([...at, 'allow_credentials'], 'allow_credentials cannot be combined with allow_origins "*"', {
      hint: 'browsers refuse credentials with a wildcard origin; list the origins that may send credentials',
    });
  }
}

/** `scheme://host[:port]` as a browser sends it in Origin: no path, query, user or trailing `/`. */
function isSerializedOrigin(text: string): boolean {
  if (!/^https?:\/\/[^/?#@\s]+$/i.test(text)) return false;
  try {
    new URL(text);
    return true;
  } catch {
    return false;
  }
}

function checkIpFilter(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const block = asRecord(value);
  if (!block) return;
  for (const list of ['allow', 'deny']) {
    const entries = block[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string' || entry === '') return;
      const problem = addressRangeProblem(entry);
      if (problem !== null) out.error([...at, list, String(index)], `"${entry}" is not an IP address or CIDR range: ${problem}`, { hint: 'write an address (192.0.2.7, 2001:db8::1) or a CIDR range (10.0.0.0/8, 2001:db8::/32)' });
    });
  }
}

/** Why `text` is not one address or CIDR range; null when it is. */
export function addressRangeProblem(text: string): string | null {
  // proxy-addr also takes names (loopback, ...) and comma lists; a filter entry is one literal range.
  if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(text)) return 'not an address literal';
  try {
    proxyaddr.compile(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
