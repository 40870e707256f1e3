import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throwaway certificate authority made with the openssl CLI, and leaf certificates it signs. */
export interface TestCa {
  readonly dir: string;
  readonly certPath: string;
  readonly keyPath: string;
  /** A leaf for `names` (first one is the CN), ECDSA P-256 unless `keyType` says rsa; valid `days` (30) from now, so beyond the 14-day expiry warning. */
  issue(label: string, names: readonly string[], options?: { keyType?: 'ec' | 'rsa'; days?: number }): TestCertificate;
}

export interface TestCertificate {
  readonly certPath: string;
  readonly keyPath: string;
}

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function keyArgs(keyType: 'ec' | 'rsa'): string[] {
  return keyType === 'ec' ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'] : ['-newkey', 'rsa:2048'];
}

export function makeTestCa(): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'prox-tls-'));
  openssl(['req', '-x509', ...keyArgs('ec'), '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '30', '-subj', '/CN=prox test CA'], dir);
  let serial = 1;
  return {
    dir,
    certPath: join(dir, 'ca.pem'),
    keyPath: join(dir, 'ca.key'),
    issue(label, names, options = {}) {
      const keyType = options.keyType ?? 'ec';
      const sans = names.map((name) => (/^[\d.]+$/.test(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
      writeFileSync(join(dir, `${label}.ext`), `subjectAltName=${sans}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
      openssl(['req', ...keyArgs(keyType), '-nodes', '-keyout', `${label}.key`, '-out', `${label}.csr`, '-subj', `/CN=${names[0]}`], dir);
      openssl(
        ['x509', '-req', '-in', `${label}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', String(options.days ?? 30), '-out', `${label}.pem`, '-extfile', `${label}.ext`],
        dir,
      );
      return { certPath: join(dir, `${label}.pem`), keyPath: join(dir, `${label}.key`) };
    },
  };
}
