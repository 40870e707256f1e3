import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitForLog } from '../support/backends';
import { makeTestCa, type TestCa } from '../support/certificates';
import { json, send } from '../support/http-client';
import { startHttpsBackend, type HttpsBackend } from '../support/https-backend';
import { startProx, type ProxProcess } from '../support/prox-process';

interface BackendsView {
  routes: { route: string; backends: { url: string; healthy: boolean | null; recent_probes: { passed: boolean; detail: string }[] }[] }[];
}

/**
 * HTTPS upstreams through a real prox process: node:https backends with certificates from a CA
 * made for the test (not in the system store), verified through upstream_tls.
 */
describe('HTTPS upstreams', () => {
  let ca: TestCa;
  let otherCa: TestCa;
  let traffic: HttpsBackend;
  let checkedGood: HttpsBackend;
  let checkedBad: HttpsBackend;
  let prox: ProxProcess;
  let reloadCaPath: string;

  beforeAll(async () => {
    ca = makeTestCa();
    otherCa = makeTestCa();
    const leaf = ca.issue('backend', ['backend.test', '127.0.0.1']);
    traffic = await startHttpsBackend(leaf);
    checkedGood = await startHttpsBackend(leaf);
    checkedBad = await startHttpsBackend(leaf);
    // Starts out trusting the wrong CA; the reload test puts the right one in place.
    reloadCaPath = join(ca.dir, 'reload-ca.pem');
    copyFileSync(otherCa.certPath, reloadCaPath);
    prox = await startProx(
      [
        'listen_addr: "127.0.0.1:0"',
        'routes:',
        `  "/trusted": { type: proxy, target: "${traffic.url}", strip_prefix: true, upstream_tls: { ca_path: "${ca.certPath}" } }`,
        `  "/named": { type: load_balance, targets: ["${traffic.url}"], strip_prefix: true, upstream_tls: { ca_path: "${ca.certPath}", server_name: "backend.test" } }`,
        `  "/untrusted": { type: proxy, target: "${traffic.url}", strip_prefix: true }`,
        `  "/mismatch": { type: proxy, target: "${traffic.url}", strip_prefix: true, upstream_tls: { ca_path: "${ca.certPath}", server_name: "wrong.test" } }`,
        `  "/insecure": { type: proxy, target: "${traffic.url}", strip_prefix: true, upstream_tls: { insecure_skip_verify: true } }`,
        `  "/reload": { type: proxy, target: "${traffic.url}", strip_prefix: true, upstream_tls: { ca_path: "${reloadCaPath}" } }`,
        `  "/hc-good": { type: proxy, target: "${checkedGood.url}", health_check: { path: /health, timeout_secs: 5 }, upstream_tls: { ca_path: "${ca.certPath}" } }`,
        `  "/hc-bad": { type: proxy, target: "${checkedBad.url}", health_check: { path: /health, timeout_secs: 5 } }`,
      ].join('\n'),
    );
  });

  afterAll(async () => {
    await prox?.stop();
    await Promise.all([traffic?.close(), checkedGood?.close(), checkedBad?.close()]);
  });

  it('proxies to a backend whose certificate the ca_path CA signed: 200', async () => {
    const response = await send(`${prox.baseUrl}/trusted/hello`);
    expect(response.status).toBe(200);
    expect(json(response)).toMatchObject({ url: '/hello', servername: false });
  });

  it('sends server_name as SNI and verifies the certificate against it (load_balance route)', async () => {
    const response = await send(`${prox.baseUrl}/named/sni`);
    expect(response.status).toBe(200);
    expect(json(response)).toMatchObject({ url: '/sni', servername: 'backend.test' });
  });

  it('answers 502 upstream_tls_error without ca_path (the system CAs do not know the test CA), in the response and the access log', async () => {
    const logged = waitForLog(prox, 'request', (line) => line.path === '/untrusted/x');
    const failure = waitForLog(prox, 'upstream request failed', (line) => line.path === '/x' && line.kind === 'tls');
    const response = await send(`${prox.baseUrl}/untrusted/x`);
    expect(response.status).toBe(502);
    expect(json(response)).toEqual({ error: 'upstream_tls_error', status: 502 });
    expect(await logged).toMatchObject({ status: 502, error: 'upstream_tls_error' });
    expect(String((await failure).detail)).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });

  it('answers 502 upstream_tls_error when the certificate does not cover server_name', async () => {
    const failure = waitForLog(prox, 'upstream request failed', (line) => line.kind === 'tls' && String(line.detail).includes('ERR_TLS_CERT_ALTNAME_INVALID'));
    const response = await send(`${prox.baseUrl}/mismatch/x`);
    expect(response.status).toBe(502);
    expect(json(response)).toEqual({ error: 'upstream_tls_error', status: 502 });
    await failure;
  });

  it('insecure_skip_verify accepts the unknown certificate, with a warning logged at load', async () => {
    const response = await send(`${prox.baseUrl}/insecure/x`);
    expect(response.status).toBe(200);
    const warning = prox.logs.find((line) => line.msg === 'config warning' && String(line.path).includes('insecure_skip_verify'));
    expect(warning).toBeDefined();
    expect(String(warning?.message)).toMatch(/accepts ANY certificate/);
  });

  it('health checks use the route\'s TLS settings: trusted backend healthy, untrusted one unhealthy', async () => {
    const response = await send(`${prox.adminUrl}/backends`);
    const view = json<BackendsView>(response);
    const good = view.routes.find((route) => route.route === '/hc-good')!.backends[0];
    const bad = view.routes.find((route) => route.route === '/hc-bad')!.backends[0];
    expect(good.healthy).toBe(true);
    expect(bad.healthy).toBe(false);
    expect(bad.recent_probes[0].detail).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
    expect((await send(`${prox.baseUrl}/hc-good/x`)).status).toBe(200);
    expect((await send(`${prox.baseUrl}/hc-bad/x`)).status).toBe(503);
  });

  it('reads a changed ca_path file on reload: new connections trust the new CA', async () => {
    expect((await send(`${prox.baseUrl}/reload/x`)).status).toBe(502);
    copyFileSync(ca.certPath, reloadCaPath);
    const reloaded = prox.nextLog('config reloaded');
    prox.child.kill('SIGHUP');
    await reloaded;
    expect((await send(`${prox.baseUrl}/reload/x`)).status).toBe(200);
    // And back: the pool that trusted the new CA is not reused for the old file content.
    writeFileSync(reloadCaPath, '');
    copyFileSync(otherCa.certPath, reloadCaPath);
    const again = prox.nextLog('config reloaded');
    prox.child.kill('SIGHUP');
    await again;
    expect((await send(`${prox.baseUrl}/reload/x`)).status).toBe(502);
  });
});
