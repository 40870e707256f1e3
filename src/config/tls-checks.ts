import * as path from 'node:path';
import type { DiagnosticList } from './diagnostics';
import { expiryProblem } from './certificate-summary';
import { isListenAddressProblem, parseListenAddress } from './listen-address';
import { asRecord, asString } from './raw-config';
import { checkAcmeSettings } from './tls-acme-checks';
import { isCertificateProblem, loadCertificatePair, type LoadedCertificate } from './tls-certificates';

/**
 * `tls` rules that need the file system: every certificate and key exists, is readable PEM, and
 * each key belongs to its certificate; all certificates share one key type (OpenSSL may pick
 * the default certificate over an SNI one of another key type). Also the plaintext listener
 * address, and `protocols.http2_*` without `tls` (no effect: prox does not speak h2c).
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkTlsSettings(data: unknown, configDir: string, out: DiagnosticList): void {
  const config = asRecord(data);
  if (!config) return;
  const tls = asRecord(config['tls']);
  const protocols = asRecord(config['protocols']);
  if (!tls) {
    if (protocols && Object.keys(protocols).some((key) => key.startsWith('http2_'))) {
      out.warning(['protocols'], 'protocols.http2_* apply to the TLS listener only: without tls they have no effect', { anchor: 'key', hint: 'add a tls block, or remove the http2 settings' });
    }
    return;
  }
  checkHttpListenAddr(config, tls, out);
  // Files and acme together is already an error; reading the files would only add noise.
  if ('acme' in tls) {
    checkAcmeSettings(tls, configDir, out);
    return;
  }
  const loaded: { at: readonly string[]; cert: LoadedCertificate }[] = [];
  const check = (at: readonly string[], certPath: unknown, keyPath: unknown): void => {
    const cert = asString(certPath);
    const key = asString(keyPath);
    if (!cert || !key) return;
    const result = loadCertificatePair({ certPath: path.resolve(configDir, cert), keyPath: path.resolve(configDir, key) });
    if (isCertificateProblem(result)) {
      out.error([...at, result.field], result.message, { hint: "a relative path is resolved against the config file's directory" });
      return;
    }
    if (result.names.length === 0) out.warning([...at, 'cert_path'], `certificate "${cert}" names no DNS name: it is served only as the default`, { hint: null });
    const expiry = expiryProblem(result.notAfterMs);
    if (expiry !== null) out.warning([...at, 'cert_path'], `"${cert}" (${result.names.join(', ')}): ${expiry}`, { hint: 'renew it; prox swaps a changed certificate file in without a restart' });
    loaded.push({ at, cert: result });
  };
  check(['tls'], tls['cert_path'], tls['key_path']);
  const list = Array.isArray(tls['certificates']) ? tls['certificates'] : [];
  list.forEach((entry, index) => {
    const item = asRecord(entry);
    if (item) check(['tls', 'certificates', String(index)], item['cert_path'], item['key_path']);
  });
  const first = loaded[0];
  for (const other of loaded.slice(1)) {
    if (other.cert.keyType !== first.cert.keyType) {
      out.error([...other.at, 'key_path'], `this certificate has a ${other.cert.keyType} key but "${first.cert.files.certPath}" has a ${first.cert.keyType} key: prox serves one key type`, {
        hint: 'issue every certificate with the same key type (all ECDSA P-256, or all RSA); with mixed types OpenSSL can answer with the wrong certificate',
      });
    }
  }
}

function checkHttpListenAddr(config: Record<string, unknown>, tls: Record<string, unknown>, out: DiagnosticList): void {
  const httpAddr = asString(tls['http_listen_addr']);
  if (httpAddr !== undefined) {
    const parsed = parseListenAddress(httpAddr);
    if (isListenAddressProblem(parsed)) {
      out.error(['tls', 'http_listen_addr'], `invalid listen address: ${parsed.message}`, { hint: parsed.hint });
    } else {
      const main = asString(config['listen_addr']);
      const mainParsed = main === undefined ? null : parseListenAddress(main);
      if (mainParsed !== null && !isListenAddressProblem(mainParsed) && mainParsed.port === parsed.port && mainParsed.port !== 0 && mainParsed.host === parsed.host) {
        out.error(['tls', 'http_listen_addr'], 'http_listen_addr is the same address as listen_addr', { hint: 'the plaintext listener needs its own port, usually 80 beside 443' });
      }
    }
  }
}
