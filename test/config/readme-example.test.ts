import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/loader';
import type { LoadBalanceRoute, ProxyRoute, RedirectRoute } from '../../src/config/model';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'config', 'prox-readme-example.yaml');

describe('the Prox README example config', () => {
  it('is valid, with a not-active warning for each Prox feature not implemented yet', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}: ${e.message}`).join('\n'));

    const warned = result.warnings.map((w) => w.path);
    expect(warned).toEqual([
      '/tls',
      '/routes/~1proxy/rate_limit',
      '/routes/~1proxy/request_headers',
      '/routes/~1proxy/response_headers',
      '/routes/~1proxy/request_body',
      '/routes/~1proxy/response_body',
      '/routes/~1api~1v1/rate_limit',
      '/routes/~1balance/rate_limit',
    ]);
    expect(result.warnings.every((w) => w.severity === 'warning' && w.line > 0 && w.file === FIXTURE)).toBe(true);
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
