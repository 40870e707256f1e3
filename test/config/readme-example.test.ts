import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/loader';
import type { LoadBalanceRoute, ProxyRoute, RedirectRoute } from '../../src/config/model';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'config', 'prox-readme-example.yaml');

describe('the Prox README example config', () => {
  it('is valid, every Prox feature in it active (ACME included): no warnings', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}: ${e.message}`).join('\n'));

    const warned = result.warnings.map((w) => w.path);
    expect(warned).toEqual([]);
    expect(result.config.tls?.acme).toMatchObject({ domains: ['example.com', 'www.example.com'], challenge: 'tls-alpn-01' });
  });

  it('normalises all six routes', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error('expected valid');
    const { config } = result;
    expect(config.listenAddr).toEqual({ host: '0.0.0.0', port: 443 });
    expect(config.routes.map((r) => [r.key, r.type])).toEqual([
      ['/', 'redirect'],
      ['/static', 'static'],
      ['/redirect', 'redirect'],
      ['/proxy', 'proxy'],
      ['/api/v1', 'proxy'],
      ['/balance', 'load_balance'],
    ]);
    expect(config.routes[0] as RedirectRoute).toMatchObject({ target: '/static', statusCode: 302 });
    expect(config.routes[3] as ProxyRoute).toMatchObject({
      targets: [{ url: 'https://httpbin.org', weight: 1, healthPath: '/get' }],
      pathRewrite: '/anything',
    });
    expect(config.routes[4] as ProxyRoute).toMatchObject({
      targets: [{ url: 'http://internal-service', weight: 1, healthPath: '/health' }],
      pathRewrite: '/',
    });
    expect(config.routes[5] as LoadBalanceRoute).toMatchObject({
      targets: [
        { url: 'https://httpbin.org', weight: 1, healthPath: '/get' },
        { url: 'https://postman-echo.com', weight: 1, healthPath: '/get' },
      ],
      strategy: 'round_robin',
      pathRewrite: '/anything',
    });
  });

  it('turns its three rate_limit blocks into active limits with the Prox defaults', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error('expected valid');
    const common = { algorithm: 'token_bucket', mode: 'enforce', maxKeys: 100000 };
    expect(result.config.routes[3].rateLimit).toEqual({
      ...common, by: 'ip', headerName: null, requests: 10, periodSecs: 60, burst: 10, statusCode: 429, message: null, onMissingKey: 'allow',
    });
    expect(result.config.routes[4].rateLimit).toEqual({
      ...common, by: 'header', headerName: 'x-api-key', requests: 5, periodSecs: 30, burst: 5, statusCode: 403,
      message: 'Rate limit exceeded for your API key.', onMissingKey: 'allow',
    });
    expect(result.config.routes[5].rateLimit).toEqual({
      ...common, by: 'route', headerName: null, requests: 1000, periodSecs: 3600, burst: 1000, statusCode: 429, message: null, onMissingKey: 'allow',
    });
  });

  it('applies its health_check block to the proxy and load_balance routes', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error('expected valid');
    const expected = {
      intervalSecs: 10,
      timeoutSecs: 5,
      path: '/health',
      method: 'GET',
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      expectedStatus: [{ from: 200, to: 399 }],
      expectedBody: null,
      jitter: 0.1,
    };
    for (const index of [3, 4, 5]) {
      expect((result.config.routes[index] as ProxyRoute | LoadBalanceRoute).healthCheck).toEqual(expected);
    }
  });
});
