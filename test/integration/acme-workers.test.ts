import { waitForLog } from '../support/backends';
import { httpsGet } from '../support/https-verified';
import { seriesValue } from '../support/metrics';
import { acmeProxConfig, startAcmeStage, type AcmeStage } from '../support/pebble';
import { freeLoopbackPort } from '../support/ports';
import { startProx, type ProxProcess } from '../support/prox-process';

const NAMES = ['one.workers.acme.test', 'two.workers.acme.test'];
/** Issuance against a local Pebble takes a few seconds; this only bounds a hang. */
const ISSUE_WAIT_MS = 60_000;

interface WorkersView {
  workers: { worker: number; pid: number; running: boolean; requests: number }[];
  restarts: number;
}

async function workersView(prox: ProxProcess): Promise<WorkersView> {
  return (await (await fetch(`${prox.adminUrl}/workers`)).json()) as WorkersView;
}

describe.each([
  { challenge: 'tls-alpn-01', plaintext: false },
  { challenge: 'http-01', plaintext: true },
])('ACME with workers: 2 against a real Pebble: $challenge', ({ challenge, plaintext }) => {
  let stage: AcmeStage;
  let prox: ProxProcess | null = null;
  let tlsPort: number;
  let issuingRoot: string;

  beforeAll(async () => {
    tlsPort = await freeLoopbackPort();
    const httpPort = await freeLoopbackPort();
    stage = await startAcmeStage({ httpPort, tlsPort });
    issuingRoot = stage.issuingRoot;
    prox = await startProx(
      acmeProxConfig({ tlsPort, names: NAMES, pebble: stage.pebble, storage: stage.storage, backend: stage.backend, workers: 2, challenge, httpPort: plaintext ? httpPort : undefined }),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await stage?.stop();
  });

  it('the supervisor orders once, every worker answers the challenge and then serves the certificate', async () => {
    const issued = await waitForLog(prox!, 'acme certificate issued', () => true, 0, ISSUE_WAIT_MS);
    // Ordered by the supervisor (its lines carry no worker id), once.
    expect(issued.worker).toBeUndefined();
    expect(prox!.logs.filter((line) => line.msg === 'acme order started')).toHaveLength(1);
    const swapped = (): Set<unknown> => new Set(prox!.logs.filter((line) => line.msg === 'certificates reloaded').map((line) => line.worker));
    while (swapped().size < 2) await prox!.nextLog('certificates reloaded');
    expect([...swapped()].sort()).toEqual([1, 2]);
    // New connections each time: the kernel spreads them over both workers.
    for (let i = 0; i < 30; i++) {
      const answer = await httpsGet(tlsPort, NAMES[i % 2]!, issuingRoot);
      expect(answer.status).toBe(200);
      expect(answer.cert.subjectAltName).toBe(NAMES.map((n) => `DNS:${n}`).join(', '));
    }
    const view = await workersView(prox!);
    expect(view.workers.map((w) => w.requests > 0)).toEqual([true, true]);
    expect((await fetch(`${prox!.adminUrl}/readyz`)).status).toBe(200);
    const metrics = await (await fetch(`${prox!.adminUrl}/metrics`)).text();
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="success"}')).toBe(1);
    expect(seriesValue(metrics, 'prox_acme_orders_total{result="failure"}')).toBe(0);
    const nextRenewal = seriesValue(metrics, `prox_acme_next_renewal_timestamp_seconds{domain="${NAMES[0]}"}`)!;
    expect(nextRenewal).toBeGreaterThan(Date.now() / 1000);
    // The workers' view carries the supervisor's status of the certificate.
    const certificates = (await (await fetch(`${prox!.adminUrl}/certificates`)).json()) as { certificates: { names: string[]; source: string; next_renewal: string; last_error: string | null }[] };
    expect(certificates.certificates).toEqual([expect.objectContaining({ names: NAMES, source: 'acme', last_error: null })]);
    expect(Math.round(Date.parse(certificates.certificates[0]!.next_renewal) / 1000)).toBe(nextRenewal);
  });

  it('a restarted worker gets the current certificate at start, without a new order', async () => {
    const before = await workersView(prox!);
    process.kill(before.workers[0]!.pid, 'SIGKILL');
    await waitForLog(prox!, 'worker restarted', () => true, 0, 30_000);
    const after = await workersView(prox!);
    expect(after.workers[0]!.pid).not.toBe(before.workers[0]!.pid);
    for (let i = 0; i < 20; i++) expect((await httpsGet(tlsPort, NAMES[0]!, issuingRoot)).status).toBe(200);
    expect((await workersView(prox!)).workers[0]!.requests).toBeGreaterThan(0);
    expect((await fetch(`${prox!.adminUrl}/readyz`)).status).toBe(200);
    expect(prox!.logs.filter((line) => line.msg === 'acme order started')).toHaveLength(1);
  });
});
