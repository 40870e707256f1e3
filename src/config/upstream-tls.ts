import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULTS } from './defaults';
import type { DiagnosticList } from './diagnostics';
import type { UpstreamTlsSpec } from './model';
import type { RawConfig, RawRoute } from './raw-config';
import { asRecord, asString } from './raw-config';

/** Contents of the `upstream_tls.ca_path` files, by absolute path, as read by the checks. */
export type UpstreamCaFiles = ReadonlyMap<string, string>;

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * `upstream_tls` rules that need the file system or read several fields: every `ca_path` is a
 * readable file of PEM certificates (an error otherwise), `insecure_skip_verify: true` is a
 * warning wherever it is set, and a route's block that can change nothing (no https:// target)
 * is a warning. Returns the CA files read, so normalising does not read them a second time.
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkUpstreamTls(data: unknown, configDir: string, out: DiagnosticList): UpstreamCaFiles {
  const files = new Map<string, string>();
  const config = asRecord(data);
  if (!config) return files;
  const check = (at: readonly string[], value: unknown): void => {
    const block = asRecord(value);
    if (!block) return;
    const caPath = asString(block['ca_path']);
    if (block['insecure_skip_verify'] === true) {
      out.warning([...at, 'insecure_skip_verify'], 'insecure_skip_verify: true accepts ANY certificate from these https:// backends: the traffic is encrypted but anyone on the path can impersonate the backend', {
        hint: 'trust the backend\'s CA with ca_path (and server_name when the target is an IP address) instead',
      });
      if (caPath !== undefined) out.warning([...at, 'ca_path'], 'ca_path has no effect while insecure_skip_verify is true', { hint: null });
    }
    if (caPath === undefined) return;
    const absolute = path.resolve(configDir, caPath);
    const read = readCaBundle(absolute);
    if (typeof read === 'string') files.set(absolute, read);
    else out.error([...at, 'ca_path'], read.problem, { hint: "a PEM file of one or more CA certificates; a relative path is resolved against the config file's directory" });
  };
  check(['upstream_tls'], config['upstream_tls']);
  const routes = asRecord(config['routes']);
  for (const [key, value] of Object.entries(routes ?? {})) {
    const route = asRecord(value);
    if (!route || route['upstream_tls'] === undefined) continue;
    check(['routes', key, 'upstream_tls'], route['upstream_tls']);
    const targets = [route['target'], ...(Array.isArray(route['targets']) ? route['targets'] : [])].map((target) => asString(target) ?? asString(asRecord(target)?.['url']));
    const known = targets.filter((target): target is string => target !== undefined);
    if (known.length > 0 && !known.some((target) => target.toLowerCase().startsWith('https://'))) {
      out.warning(['routes', key, 'upstream_tls'], 'upstream_tls has no effect: no target of this route is https://', { anchor: 'key', hint: 'use https:// targets, or remove upstream_tls' });
    }
  }
  return files;
}

/** The CA bundle's text, or why it cannot be used. */
export function readCaBundle(file: string): string | { problem: string } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
    return { problem: `cannot read CA file "${file}": ${why}` };
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) return { problem: `"${file}" holds no PEM certificate (-----BEGIN CERTIFICATE-----)` };
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch (error) {
      return { problem: `"${file}" holds a certificate that cannot be parsed: ${(error as Error).message}` };
    }
  }
  return text;
}

/**
 * The route's `upstream_tls` merged field by field over the top-level one; `null` when neither
 * sets anything (system CAs, the target's host name).
 */
export function normaliseUpstreamTls(raw: RawConfig, route: RawRoute, configDir: string, caFiles: UpstreamCaFiles): UpstreamTlsSpec | null {
  const top = raw.upstream_tls ?? {};
  const own = route.upstream_tls ?? {};
  const caPath = own.ca_path ?? top.ca_path;
  const serverName = own.server_name ?? top.server_name ?? null;
  const insecureSkipVerify = own.insecure_skip_verify ?? top.insecure_skip_verify ?? DEFAULTS.upstreamInsecureSkipVerify;
  if (caPath === undefined && serverName === null && !insecureSkipVerify) return null;
  const absolute = caPath === undefined ? null : path.resolve(configDir, caPath);
  const ca = absolute === null ? null : caFiles.get(absolute);
  if (ca === undefined) throw new Error(`unchecked upstream_tls.ca_path reached normalise: ${absolute}`);
  const id = createHash('sha256')
    .update(JSON.stringify([ca, serverName, insecureSkipVerify]))
    .digest('base64url')
    .slice(0, 16);
  return { caPath: absolute, ca, serverName: serverName === null ? null : serverName.toLowerCase(), insecureSkipVerify, id };
}
