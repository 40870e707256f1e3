import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { makeTestCa } from '../support/certificates';
import { startProx } from '../support/prox-process';

interface CertificatesView {
  certificates: { names: string[]; issuer: string; not_before: string; not_after: string; source: string; cert_path?: string; next_renewal: string | null; last_error: string | null }[];
}

describe('admin GET /certificates with certificate files', () => {
  it('lists the default and SNI certificates with names, issuer, validity and their files', async () => {
    const ca = makeTestCa();
    const main = ca.issue('main', ['main.test', 'www.main.test']);
    const other = ca.issue('other', ['other.test']);
    const prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'access_log: { enabled: false }',
        'tls:',
        `  cert_path: "${main.certPath}"`,
        `  key_path: "${main.keyPath}"`,
        '  certificates:',
        `    - { cert_path: "${other.certPath}", key_path: "${other.keyPath}" }`,
        'routes:',
        '  "/": { type: static, root: "/tmp" }',
      ].join('\n'),
    );
    try {
      const response = await fetch(`${prox.adminUrl}/certificates`);
      expect(response.status).toBe(200);
      const view = (await response.json()) as CertificatesView;
      const leaf = new X509Certificate(readFileSync(main.certPath));
      expect(view.certificates).toEqual([
        {
          names: ['main.test', 'www.main.test'],
          issuer: leaf.issuer.split('\n').join(', '),
          not_before: new Date(leaf.validFrom).toISOString(),
          not_after: new Date(leaf.validTo).toISOString(),
          source: 'file',
          cert_path: main.certPath,
          next_renewal: null,
          last_error: null,
        },
        expect.objectContaining({ names: ['other.test'], source: 'file', cert_path: other.certPath }),
      ]);
      const index = (await (await fetch(`${prox.adminUrl}/`)).json()) as { endpoints: string[] };
      expect(index.endpoints).toContain('/certificates');
    } finally {
      await prox.stop();
    }
  });

  it('is an empty list without TLS', async () => {
    const prox = await startProx('listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: static, root: "/tmp" }\n');
    try {
      expect(await (await fetch(`${prox.adminUrl}/certificates`)).json()).toEqual({ certificates: [] });
    } finally {
      await prox.stop();
    }
  });
});
