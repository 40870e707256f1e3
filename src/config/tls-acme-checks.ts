import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import * as path from 'node:path';
import type { DiagnosticList } from './diagnostics';
import { asRecord, asString } from './raw-config';

/** A DNS name as a public CA accepts it: labels of letters, digits and inner hyphens, at least two. */
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;

/**
 * `tls.acme` rules (an enabled block only): domains are DNS names, the storage directory can be
 * created and written, a private CA root is readable PEM, the challenge can be answered by a
 * listener prox has. Touches the file system (reads only).
 */
export function checkAcmeSettings(tls: Record<string, unknown>, configDir: string, out: DiagnosticList): void {
  const acme = asRecord(tls['acme']);
  if (!acme || acme['enabled'] !== true) return;
  const at = ['tls', 'acme'];
  const domains = Array.isArray(acme['domains']) ? acme['domains'] : [];
  const seen = new Set<string>();
  domains.forEach((entry, index) => {
    const name = asString(entry);
    if (name === undefined || name === '') return;
    const where = [...at, 'domains', String(index)];
    if (isIP(name.replace(/^\[|\]$/g, '')) !== 0) {
      out.error(where, `"${name}" is an IP address: ACME certificates here are for DNS names`, { hint: 'point a DNS name at this address and list that name' });
    } else if (name.startsWith('*.')) {
      out.error(where, `"${name}" is a wildcard: wildcard certificates need the DNS-01 challenge, which prox does not support`, {
        hint: 'list each name (www.example.com, api.example.com), or use certificate files from a DNS-01 client',
      });
    } else if (!DNS_NAME.test(name)) {
      out.error(where, `"${name}" is not a DNS name`, { hint: 'use a fully qualified name such as www.example.com' });
    } else if (seen.has(name.toLowerCase())) {
      out.error(where, `"${name}" is listed twice`, { hint: null });
    }
    seen.add(name.toLowerCase());
  });
  if (acme['staging'] === true && asString(acme['ca_url']) !== undefined) {
    out.warning([...at, 'staging'], 'staging is ignored when ca_url is set', { anchor: 'key', hint: "remove one: ca_url names the CA's directory exactly" });
  }
  const challenge = asString(acme['challenge']);
  if (challenge === 'http-01' && asString(tls['http_listen_addr']) === undefined) {
    out.error([...at, 'challenge'], 'challenge http-01 needs tls.http_listen_addr: the CA validates HTTP-01 on port 80 of each name', {
      hint: 'add http_listen_addr: "0.0.0.0:80", or use challenge: tls-alpn-01 (validated on listen_addr, port 443)',
    });
  }
  const storage = asString(acme['storage_path']) ?? './acme_storage';
  const storageProblem = directoryProblem(path.resolve(configDir, storage));
  if (storageProblem !== null) out.error([...at, 'storage_path'], storageProblem, { hint: "a relative path is resolved against the config file's directory" });
  const root = asString(acme['ca_root_path']);
  if (root !== undefined) {
    const file = path.resolve(configDir, root);
    try {
      new X509Certificate(readFileSync(file));
    } catch (error) {
      out.error([...at, 'ca_root_path'], `cannot use "${file}" as the CA root: ${(error as Error).message}`, { hint: 'a PEM certificate, e.g. the root of your step-ca' });
    }
  }
}

/** Why prox could not create or write the directory, or null. Creates nothing. */
function directoryProblem(dir: string): string | null {
  let current = dir;
  for (;;) {
    let stats;
    try {
      stats = statSync(current);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return `cannot create "${dir}"`;
      current = parent;
      continue;
    }
    if (!stats.isDirectory()) return `cannot use "${dir}" as storage: "${current}" is not a directory`;
    try {
      accessSync(current, constants.W_OK | constants.X_OK);
    } catch {
      return current === dir ? `storage directory "${dir}" is not writable` : `cannot create "${dir}": "${current}" is not writable`;
    }
    return null;
  }
}
