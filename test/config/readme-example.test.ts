import * as path from 'node:path';
import { loadConfigFile } from '../../src/config/loader';
import type { LoadBalanceRoute, ProxyRoute, RedirectRoute } from '../../src/config/model';

const FIXTURE = path.join(__dirname, '..', 'fixtures', 'config', 'prox-readme-example.yaml');

describe('the Prox README example config', () => {
  it('is valid, with a not-active warning for each Prox-only feature', async () => {
    const result = await loadConfigFile(FIXTURE);
    if (!result.ok) throw new Error(result.errors.map((e) => `${e.line}: ${e.message}`).join('\n'));

    const warned = result.warnings.map((w) => w.path);
    expect(warned).toEqual([
      '/tls',
      '/health_check',
      '/backend_health_paths',
      '/routes/~1static/type',
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
    expect(config.routes[3] as ProxyRoute).toMatchObject({ target: 'https://httpbin.org', pathRewrite: '/anything' });
    expect(config.routes[4] as ProxyRoute).toMatchObject({ target: 'http://internal-service', pathRewrite: '/' });
    expect(config.routes[5] as LoadBalanceRoute).toMatchObject({
      targets: ['https://httpbin.org', 'https://postman-echo.com'],
      strategy: 'round_robin',
      pathRewrite: '/anything',
    });
  });
});
