import { readdirSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { waitForLog } from '../support/backends';
import { httpsGet } from '../support/https-verified';
import { acmeProxConfig, startAcmeStage, type AcmeStage } from '../support/pebble';
import { freeLoopbackPort } from '../support/ports';
import { startProx, type ProxProcess } from '../support/prox-process';

const NAMES = ['one.acme.test', 'two.acme.test'];
/** Issuance against a local Pebble takes a few seconds; this only bounds a hang. */
const ISSUE_WAIT_MS = 45_000;

function httpGet(port: number, path: string, host: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    httpRequest({ host: '127.0.0.1', port, path, headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    })
      .on('error', reject)
      .end();
  });
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

describe.each([
  { challenge: 'tls-alpn-01', plaintext: false },
  { challenge: 'http-01', plaintext: true },
])('ACME against a real Pebble: $challenge', ({ challenge, plaintext }) => {
  let stage: AcmeStage;
  let storage: string;
  let tlsPort: number;
  let httpPort: number;
  let config: string;
  let prox: ProxProcess | null = null;
  let issuingRoot: string;

  beforeAll(async () => {
    tlsPort = await freeLoopbackPort();
    httpPort = await freeLoopbackPort();
    stage = await startAcmeStage({ httpPort, tlsPort });
    ({ issuingRoot, storage } = stage);
    config = acmeProxConfig({ tlsPort, names: NAMES, pebble: stage.pebble, storage, backend: stage.backend, httpPort: plaintext ? httpPort : undefined });
  });

  afterAll(async () => {
    await prox?.stop();
    await stage?.stop();
  });

  it(`issues a two-name certificate through ${challenge} in the background and swaps it in without a restart`, async () => {
    prox = await startProx(config);
    const issued = await waitForLog(prox, 'acme certificate issued', () => true, 0, ISSUE_WAIT_MS);
    expect(issued.domains).toEqual(NAMES);
    expect(prox.logs.find((line) => line.msg === 'acme order started')).toMatchObject({ challenge, reason: 'no certificate' });
    await waitForLog(prox, 'certificates reloaded', (line) => line.trigger === 'certificate issued');
    for (const name of NAMES) {
      const answer = await httpsGet(tlsPort, name, issuingRoot);
      expect(answer.status).toBe(200);
      expect(answer.cert.subjectAltName).toBe(NAMES.map((n) => `DNS:${n}`).join(', '));
    }
    const ready = await fetch(`${prox.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    if (plaintext) {
      // The plaintext listener still redirects everything that is not a pending token.
      expect(await httpGet(httpPort, '/.well-known/acme-challenge/unknown', NAMES[0])).toEqual({ status: 308, location: `https://${NAMES[0]}:${tlsPort}/.well-known/acme-challenge/unknown` });
    }
  });

  it('keeps storage private: directories 0700, keys 0600', () => {
    const stored = files(storage);
    const keys = stored.filter((file) => file.endsWith('.key') || file.endsWith('key.pem'));
    expect(keys.map((file) => file.slice(storage.length))).toEqual(expect.arrayContaining([expect.stringMatching(/^\/accounts\/.+\/account\.key$/), expect.stringMatching(/^\/certificates\/one\.acme\.test-.+\/key\.pem$/)]));
    for (const key of keys) expect(mode(key)).toBe(0o600);
    expect(mode(storage)).toBe(0o700);
    for (const file of stored) expect(mode(join(file, '..'))).toBe(0o700);
    expect(stored.some((file) => file.endsWith('.tmp') || file.endsWith('order.lock'))).toBe(false);
  });

  it('reuses the stored certificate at restart without contacting the CA (Pebble stopped)', async () => {
    const before = await httpsGet(tlsPort, NAMES[1], issuingRoot);
    await prox!.stop();
    await stage.pebble.stop();
    prox = await startProx(config);
    const loaded = await waitForLog(prox, 'acme certificate loaded from storage');
    expect(loaded.domains).toEqual(NAMES);
    const after = await httpsGet(tlsPort, NAMES[1], issuingRoot);
    expect(after.status).toBe(200);
    expect(after.cert.serialNumber).toBe(before.cert.serialNumber);
    expect(prox.logs.some((line) => line.msg === 'acme order started')).toBe(false);
    expect((await fetch(`${prox.adminUrl}/readyz`)).status).toBe(200);
  });
});
