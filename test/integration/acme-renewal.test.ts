import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { waitForLog } from '../support/backends';
import { httpsGet } from '../support/https-verified';
import { seriesValue } from '../support/metrics';
import { acmeProxConfig, startAcmeStage, type AcmeStage } from '../support/pebble';
import { freeLoopbackPort } from '../support/ports';
import { startProx, type ProxProcess } from '../support/prox-process';

const NAMES = ['renew.acme.test', 'www.renew.acme.test'];
/** Bounds a hang; issuance against a local Pebble takes seconds. */
const ISSUE_WAIT_MS = 60_000;
/**
 * Pebble issues certificates living this long: shorter than renewal_days_before_expiry, so prox
 * renews a third into the lifetime (15 s) — real renewals, no clock tricks.
 */
const VALIDITY_SECONDS = 45;

interface CertificatesView {
  certificates: { names: string[]; issuer: string | null; not_before: string | null; not_after: string | null; source: string; next_renewal: string | null; last_error: string | null }[];
}

/** Renewal a day before expiry: sooner than the certificates' lifetime, so prox renews a third into it. */
function renewingConfig(tlsPort: number, stage: Pick<AcmeStage, 'pebble' | 'storage' | 'backend'>): string {
  return acmeProxConfig({ tlsPort, names: NAMES, pebble: stage.pebble, storage: stage.storage, backend: stage.backend, renewalDaysBeforeExpiry: 1 });
}

async function certificatesView(prox: ProxProcess): Promise<CertificatesView> {
  const response = await fetch(`${prox.adminUrl}/certificates`);
  expect(response.status).toBe(200);
  return (await response.json()) as CertificatesView;
}

describe('ACME renewal and CA outage against a real Pebble (short-lived certificates)', () => {
  let stage: AcmeStage;
  let prox: ProxProcess | null = null;
  let tlsPort: number;
  let issuingRoot: string;

  beforeAll(async () => {
    tlsPort = await freeLoopbackPort();
    stage = await startAcmeStage({ httpPort: await freeLoopbackPort(), tlsPort, certificateValiditySeconds: VALIDITY_SECONDS });
    issuingRoot = stage.issuingRoot;
    prox = await startProx(renewingConfig(tlsPort, stage));
  });

  afterAll(async () => {
    await prox?.stop();
    await stage?.stop();
  });

  it('renews when the renewal time is reached and swaps the new certificate in', async () => {
    await waitForLog(prox!, 'acme certificate issued', (line) => line.reason === 'no certificate', 0, ISSUE_WAIT_MS);
    await waitForLog(prox!, 'certificates reloaded', (line) => line.trigger === 'certificate issued');
    const first = await httpsGet(tlsPort, NAMES[0]!, issuingRoot);
    expect(first.status).toBe(200);
    const firstView = (await certificatesView(prox!)).certificates;
    expect(firstView).toHaveLength(1);
    expect(firstView[0]).toMatchObject({ names: NAMES, source: 'acme', last_error: null, issuer: expect.stringMatching(/Pebble/) });
    // A third into the lifetime (jitter only moves it earlier, never before that third).
    const renewAt = Date.parse(firstView[0]!.next_renewal!);
    const notBefore = Date.parse(firstView[0]!.not_before!);
    const lifetime = Date.parse(firstView[0]!.not_after!) - notBefore;
    expect(lifetime).toBeLessThanOrEqual(VALIDITY_SECONDS * 1000);
    expect(renewAt - notBefore).toBe(Math.floor(lifetime / 3));

    const renewed = await waitForLog(prox!, 'acme certificate issued', (line) => line.reason === 'renewal due', 0, ISSUE_WAIT_MS);
    expect(renewed.domains).toEqual(NAMES);
    // The listener swaps the certificate as soon as it is issued (its line comes first).
    const renewalStarted = prox!.logs.findIndex((line) => line.msg === 'acme order started' && line.reason === 'renewal due');
    await waitForLog(prox!, 'certificates reloaded', () => true, renewalStarted);
    const second = await httpsGet(tlsPort, NAMES[1]!, issuingRoot);
    expect(second.status).toBe(200);
    expect(second.cert.serialNumber).not.toBe(first.cert.serialNumber);
    expect(Date.parse(second.cert.validFrom)).toBeGreaterThanOrEqual(Date.parse(first.cert.validFrom));
  }, 120_000);

  it('a CA outage keeps the certificate in use serving, backs off, and stays ready', async () => {
    const serving = await httpsGet(tlsPort, NAMES[0]!, issuingRoot);
    const from = prox!.logs.length;
    await stage.pebble.stop();
    const failed = await waitForLog(prox!, 'acme order failed; the certificate in use (if any) keeps serving', () => true, from, ISSUE_WAIT_MS);
    expect(failed).toMatchObject({ reason: 'renewal due', failures: 1, error: expect.any(String) });
    // Still the same certificate, still ready.
    const after = await httpsGet(tlsPort, NAMES[0]!, issuingRoot);
    expect(after.status).toBe(200);
    expect(after.cert.serialNumber).toBe(serving.cert.serialNumber);
    expect((await fetch(`${prox!.adminUrl}/readyz`)).status).toBe(200);
    // The next attempt waits out the first backoff step (5 min), as the view and the metric say.
    const [view] = (await certificatesView(prox!)).certificates;
    expect(view!.last_error).toBe(failed.error);
    const failedAt = Date.parse(String(failed.time ?? '')) || Date.now();
    expect(Date.parse(view!.next_renewal!)).toBeGreaterThanOrEqual(failedAt + 5 * 60_000 - 1_000);
    const metrics = await (await fetch(`${prox!.adminUrl}/metrics`)).text();
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="failure"}')).toBe(1);
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="success"}')).toBeGreaterThanOrEqual(2);
    expect(seriesValue(metrics, `prox_acme_next_renewal_timestamp_seconds{domain="${NAMES[0]}"}`)).toBe(Math.round(Date.parse(view!.next_renewal!) / 1000));
  }, 120_000);
});

/**
 * A TCP gate in front of `target`: connections wait until `open()` — holds a CA validation (and
 * so the order, and its lock) for as long as the test needs, without timing anything.
 */
async function gate(target: () => number): Promise<{ port: number; open(): void; close(): void }> {
  let opened: () => void = () => undefined;
  const isOpen = new Promise<void>((resolve) => (opened = resolve));
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on('error', () => undefined);
    void isOpen.then(() => {
      const upstream = connect(target(), '127.0.0.1');
      sockets.add(upstream);
      upstream.on('error', () => client.destroy());
      client.pipe(upstream).pipe(client);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    open: opened,
    close() {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('two prox processes sharing one storage_path', () => {
  let stage: AcmeStage | null = null;
  let validation: Awaited<ReturnType<typeof gate>> | null = null;
  const proxes: ProxProcess[] = [];

  afterAll(async () => {
    for (const prox of proxes) await prox.stop();
    validation?.close();
    await stage?.stop();
  });

  it('place one order: the second waits for the lock and takes the certificate the first stored', async () => {
    const firstPort = await freeLoopbackPort();
    const secondPort = await freeLoopbackPort();
    // Pebble validates through the gate, which leads to the first prox once opened.
    validation = await gate(() => firstPort);
    stage = await startAcmeStage({ httpPort: await freeLoopbackPort(), tlsPort: validation.port });
    const { issuingRoot } = stage;
    const first = await startProx(renewingConfig(firstPort, stage));
    proxes.push(first);
    await waitForLog(first, 'acme order started', () => true, 0, ISSUE_WAIT_MS);
    // The first one's order is held at validation: the second finds the lock taken.
    const second = await startProx(renewingConfig(secondPort, stage));
    proxes.push(second);
    const waits = await waitForLog(second, 'acme order waits: another prox process holds the order lock of this storage_path', () => true, 0, ISSUE_WAIT_MS);
    expect(waits.reason).toBe('no certificate');
    expect((await fetch(`${second.adminUrl}/readyz`)).status).toBe(503);
    validation.open();
    await waitForLog(first, 'acme certificate issued', () => true, 0, ISSUE_WAIT_MS);
    const taken = await waitForLog(second, 'acme certificate loaded from storage', () => true, 0, ISSUE_WAIT_MS);
    expect(taken.orderedBy).toBe('another process');
    await waitForLog(second, 'certificates reloaded', () => true, 0, ISSUE_WAIT_MS);
    const a = await httpsGet(firstPort, NAMES[0]!, issuingRoot);
    const b = await httpsGet(secondPort, NAMES[0]!, issuingRoot);
    expect(b.status).toBe(200);
    expect(b.cert.serialNumber).toBe(a.cert.serialNumber);
    expect((await fetch(`${second.adminUrl}/readyz`)).status).toBe(200);
    expect([...first.logs, ...second.logs].filter((line) => line.msg === 'acme order started')).toHaveLength(1);
    const metrics = await (await fetch(`${second.adminUrl}/metrics`)).text();
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="locked"}')).toBeGreaterThanOrEqual(1);
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="success"}')).toBe(0);
  }, 120_000);
});
