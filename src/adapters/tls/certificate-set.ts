import { createSecureContext, type SecureContext } from 'node:tls';
import type { ServedCertificate, TlsListenSpec } from '../../ports/http-server';
import { checkCertificatePair, isCertificateProblem, loadCertificatePair, type LoadedCertificate } from '../../config/tls-certificates';
import type { PemPair } from '../../ports/managed-certificates';
import { SniTable } from '../../core/tls/sni-table';

/**
 * The certificates of one TLS listener, read from disk and turned into OpenSSL contexts: the
 * default one and the SNI table. Immutable: a swap builds a new set and replaces the reference,
 * so a handshake sees the old set or the new one, never a mix.
 */
export class CertificateSet {
  private constructor(
    readonly defaultCertificate: LoadedCertificate | null,
    readonly table: SniTable<SecureContext>,
    readonly all: readonly LoadedCertificate[],
    /** Raw bytes of every file, to tell a real change from a touch. */
    readonly fingerprint: string,
    /** From the ACME manager (memory), not from files. */
    readonly managed = false,
  ) {}

  /**
   * A managed (ACME) certificate from memory: served for its names and as the default; none
   * yet: an empty set, every handshake fails. Throws when the pair is broken.
   */
  static fromManaged(pair: PemPair | null, minVersion: TlsListenSpec['minVersion']): CertificateSet {
    if (pair === null) return new CertificateSet(null, new SniTable<SecureContext>([], null), [], '');
    const loaded = checkCertificatePair({ certPath: '(acme)', keyPath: '(acme)' }, Buffer.from(pair.cert), Buffer.from(pair.key));
    if (isCertificateProblem(loaded)) throw new Error(loaded.message);
    const context = createSecureContext({ cert: loaded.cert, key: loaded.key, minVersion });
    return new CertificateSet(loaded, new SniTable([{ names: loaded.names, value: context }], context), [loaded], pair.cert + ':' + pair.key, true);
  }

  /** Reads and checks every pair; throws an Error naming the broken one. */
  static load(spec: TlsListenSpec): CertificateSet {
    if (spec.managed) return CertificateSet.fromManaged(spec.managed.current(), spec.minVersion);
    const load = (files: { certPath: string; keyPath: string }): LoadedCertificate => {
      const result = loadCertificatePair(files);
      if (isCertificateProblem(result)) throw new Error(result.message);
      return result;
    };
    const defaultCertificate = spec.defaultCertificate === null ? null : load(spec.defaultCertificate);
    const sni = spec.sniCertificates.map(load);
    const all = defaultCertificate === null ? sni : [defaultCertificate, ...sni];
    const keyTypes = new Set(all.map((cert) => cert.keyType));
    if (keyTypes.size > 1) throw new Error(`certificates with different key types (${[...keyTypes].join(', ')}): prox serves one key type`);
    const contextOf = (cert: LoadedCertificate): SecureContext => createSecureContext({ cert: cert.cert, key: cert.key, minVersion: spec.minVersion });
    const defaultContext = defaultCertificate === null ? null : contextOf(defaultCertificate);
    // SNI certificates first (they are the specific ones), then the default's own names.
    const entries = sni.map((cert) => ({ names: cert.names, value: contextOf(cert) }));
    if (defaultCertificate !== null && defaultContext !== null) entries.push({ names: defaultCertificate.names, value: defaultContext });
    const fingerprint = all.map((cert) => cert.cert.toString('base64') + ':' + cert.key.toString('base64')).join('|');
    return new CertificateSet(defaultCertificate, new SniTable(entries, defaultContext), all, fingerprint);
  }

  /** Options for the server's default context (`tls.Server#setSecureContext`). */
  defaultOptions(minVersion: TlsListenSpec['minVersion']): { cert?: Buffer; key?: Buffer; minVersion: TlsListenSpec['minVersion'] } {
    const cert = this.defaultCertificate;
    return cert === null ? { minVersion } : { cert: cert.cert, key: cert.key, minVersion };
  }

  describe(): ServedCertificate[] {
    return this.all.map((cert) => ({
      names: cert.names,
      issuer: cert.issuer,
      notBeforeMs: cert.notBeforeMs,
      notAfterMs: cert.notAfterMs,
      source: this.managed ? 'acme' : 'file',
      certPath: this.managed ? null : cert.files.certPath,
    }));
  }

  /** One entry per certificate for the expiry metric: its first name (or its file when nameless). */
  served(): { domain: string; notAfterMs: number }[] {
    return this.all.map((cert) => ({ domain: cert.names[0] ?? cert.files.certPath, notAfterMs: cert.notAfterMs }));
  }
}
