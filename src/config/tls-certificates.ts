import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { CertificateFiles } from './model';

/** A certificate chain and its key, read and checked: the key matches the leaf certificate. */
export interface LoadedCertificate {
  readonly files: CertificateFiles;
  readonly cert: Buffer;
  readonly key: Buffer;
  /** DNS names the leaf covers, lower-case (`*.example.com` kept as written); its CN when it has no DNS names. */
  readonly names: readonly string[];
  /** `rsa`, `ec`, `ed25519`, ...: OpenSSL picks among certificates by key type, so prox keeps one. */
  readonly keyType: string;
  readonly notAfterMs: number;
  readonly notBeforeMs: number;
  /** The leaf's issuer distinguished name, one `KEY=value` per line as Node prints it. */
  readonly issuer: string;
}

export interface CertificateProblem {
  readonly field: 'cert_path' | 'key_path';
  readonly message: string;
}

export function isCertificateProblem(value: LoadedCertificate | CertificateProblem): value is CertificateProblem {
  return (value as CertificateProblem).field !== undefined;
}

/**
 * Reads a certificate/key pair from disk and checks it: both readable PEM, the key is the
 * certificate's. Used by validation and by the TLS listener (at start and at every swap), so a
 * pair that validation accepts is exactly a pair the listener can serve.
 */
export function loadCertificatePair(files: CertificateFiles): LoadedCertificate | CertificateProblem {
  let cert: Buffer;
  let key: Buffer;
  try {
    cert = readFileSync(files.certPath);
  } catch (error) {
    return { field: 'cert_path', message: `cannot read certificate "${files.certPath}": ${readProblem(error)}` };
  }
  try {
    key = readFileSync(files.keyPath);
  } catch (error) {
    return { field: 'key_path', message: `cannot read key "${files.keyPath}": ${readProblem(error)}` };
  }
  return checkCertificatePair(files, cert, key);
}

/** The checks of `loadCertificatePair` on bytes already in memory (ACME certificates). */
export function checkCertificatePair(files: CertificateFiles, cert: Buffer, key: Buffer): LoadedCertificate | CertificateProblem {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(cert);
  } catch (error) {
    return { field: 'cert_path', message: `"${files.certPath}" is not a PEM certificate: ${(error as Error).message}` };
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (error) {
    return { field: 'key_path', message: `"${files.keyPath}" is not an unencrypted PEM private key: ${(error as Error).message}` };
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    return { field: 'key_path', message: `the key "${files.keyPath}" does not belong to the certificate "${files.certPath}"` };
  }
  return {
    files,
    cert,
    key,
    names: namesOf(leaf),
    keyType: privateKey.asymmetricKeyType ?? 'unknown',
    notAfterMs: Date.parse(leaf.validTo),
    notBeforeMs: Date.parse(leaf.validFrom),
    issuer: leaf.issuer,
  };
}

/** subjectAltName DNS entries, or the subject CN when there are none. */
export function namesOf(leaf: X509Certificate): string[] {
  const names: string[] = [];
  for (const entry of (leaf.subjectAltName ?? '').split(/,\s*/)) {
    if (entry.startsWith('DNS:')) names.push(entry.slice(4).toLowerCase());
  }
  if (names.length > 0) return names;
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject);
  return cn === null ? [] : [cn[1].trim().toLowerCase()];
}

function readProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'it is a directory';
  return (error as Error).message;
}
