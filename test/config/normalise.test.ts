import * as path from 'node:path';
import type { LoadBalanceRoute, ProxyRoute, RedirectRoute, StaticRoute } from '../../src/config/model';
import { HEADER, load, loadValid, yaml } from './support';
import { NO_POLICIES } from '../core/support/route-builders';

describe('normalised config', () => {
  it('fills every default', () => {
    const config = loadValid(yaml(...HEADER, '  /api:', '    type: proxy', '    target: "http://backend:8080"'));
    expect(config).toEqual({
      listenAddr: { host: '127.0.0.1', port: 3000 },
      admin: { enabled: true, listenAddr: { host: '127.0.0.1', port: 9901 }, publicPathPrefix: null, token: null },
      accessLog: { enabled: true, format: 'json', path: null },
      errorPages: [],
      requestIdHeader: 'x-request-id',
      shutdownTimeoutSecs: 30,
      workers: 1,
      engine: 'auto',
      trustedProxies: [],
      limits: { maxHeaderBytes: 16384, maxHeaders: 100, maxBodyBytes: null, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: 20_000, maxConnectionsPerIp: 1000 },
      websocketEnabled: true,
      tls: null,
      rateLimitStore: null,
      tcp: [],
      httpListener: true,
      routes: [
        {
          type: 'proxy',
          key: '/api',
          host: null,
          pathPrefix: '/api',
          accessLog: true,
          errorPages: [],
          rateLimit: null,
          ...NO_POLICIES,
          targets: [{ url: 'http://backend:8080', weight: 1, healthPath: '/health' }],
          pathRewrite: null,
          preserveHost: false,
          timeoutSecs: 60,
          connectTimeoutSecs: 5,
          healthCheck: null,
          passiveHealth: { enabled: true, consecutiveFailures: 5, ejectionSecs: 30, maxEjectionSecs: 300, count5xx: false },
          circuitBreaker: null,
          retries: { attempts: 1, on: ['connect_error'], backoffMs: 0, bufferBytes: 65536 },
          minHealthyPercent: 0,
          rules: { requestHeaders: [], responseHeaders: [], requestBody: [], responseBody: [] },
          upstreamTls: null,
          websocket: { maxMessageBytes: 16777216, idleTimeoutSecs: 300, reloadGraceSecs: 5, allowedOrigins: null },
        },
      ],
    });
  });

  it('reads protocols.websocket_enabled and a route websocket block', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /ws:',
        '    type: proxy',
        '    target: "http://a"',
        '    websocket: {max_message_bytes: 4096, idle_timeout_secs: 2.5, reload_grace_secs: 0, allowed_origins: ["https://App.example.com"]}',
        'protocols: {websocket_enabled: false}',
      ),
    );
    expect(config.websocketEnabled).toBe(false);
    const route = config.routes[0];
    expect(route.type === 'proxy' && route.websocket).toEqual({ maxMessageBytes: 4096, idleTimeoutSecs: 2.5, reloadGraceSecs: 0, allowedOrigins: ['https://app.example.com'] });
  });

  it('keeps explicit values for the extensions', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /: {type: proxy, target: "http://a"}',
        'shutdown_timeout_secs: 5',
        'trusted_proxies: [loopback, 10.0.0.0/8, "::1"]',
        'limits:',
        '  max_header_bytes: 8192',
        '  max_headers: 50',
        '  max_body_bytes: 1048576',
        '  header_timeout_secs: 2.5',
        '  body_timeout_secs: 4',
        '  keepalive_timeout_secs: 0.5',
        '  max_connections: 300',
        '  max_connections_per_ip: null',
      ),
    );
    expect(config.shutdownTimeoutSecs).toBe(5);
    expect(config.trustedProxies).toEqual(['loopback', '10.0.0.0/8', '::1']);
    expect(config.limits).toEqual({
      maxHeaderBytes: 8192,
      maxHeaders: 50,
      maxBodyBytes: 1048576,
      headerTimeoutMs: 2500,
      bodyTimeoutMs: 4000,
      keepaliveTimeoutMs: 500,
      maxConnections: 300,
      maxConnectionsPerIp: null,
    });
  });

  it('treats an explicit null body limit as unlimited and a partial limits block as defaults for the rest', () => {
    const config = loadValid(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'limits:', '  max_body_bytes: null'));
    expect(config.limits).toEqual({ maxHeaderBytes: 16384, maxHeaders: 100, maxBodyBytes: null, headerTimeoutMs: 10_000, bodyTimeoutMs: 30_000, keepaliveTimeoutMs: 10_000, maxConnections: 20_000, maxConnectionsPerIp: 1000 });
  });

  it('strips brackets from an IPv6 listen address', () => {
    const config = loadValid(yaml('listen_addr: "[::1]:8443"', 'routes:', '  /: {type: proxy, target: "http://a"}'));
    expect(config.listenAddr).toEqual({ host: '::1', port: 8443 });
  });

  it.each([
    ['/', null, '/'],
    ['/api', null, '/api'],
    ['/api/', null, '/api'],
    ['/api/v1///', null, '/api/v1'],
    ['api.example.com/', 'api.example.com', '/'],
    ['API.Example.COM/Docs/', 'api.example.com', '/Docs'],
    ['*.example.com/x', '*.example.com', '/x'],
  ])('route key %s -> host %s, prefix %s', (key, host, pathPrefix) => {
    const config = loadValid(yaml(...HEADER, `  "${key}": {type: proxy, target: "http://a"}`));
    expect(config.routes[0]).toMatchObject({ key, host, pathPrefix });
  });

  it('keeps routes in declaration order', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /z: {type: proxy, target: "http://a"}',
        '  /: {type: proxy, target: "http://a"}',
        '  /m: {type: proxy, target: "http://a"}',
      ),
    );
    expect(config.routes.map((r) => r.key)).toEqual(['/z', '/', '/m']);
  });

  it('turns strip_prefix: true into pathRewrite "/" and strip_prefix: false into no rewrite', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /a: {type: proxy, target: "http://a", strip_prefix: true}',
        '  /b: {type: proxy, target: "http://a", strip_prefix: false}',
      ),
    );
    expect((config.routes[0] as ProxyRoute).pathRewrite).toBe('/');
    expect((config.routes[1] as ProxyRoute).pathRewrite).toBeNull();
  });

  it('normalises path_rewrite like a prefix so joining with the rest of the path is predictable', () => {
    const config = loadValid(yaml(...HEADER, '  /a: {type: proxy, target: "http://a", path_rewrite: /anything/}'));
    expect((config.routes[0] as ProxyRoute).pathRewrite).toBe('/anything');
  });

  it('builds load_balance routes with their upstream options', () => {
    const config = loadValid(
      yaml(
        ...HEADER,
        '  /lb:',
        '    type: load_balance',
        '    targets: ["http://a:1", "https://b:2"]',
        '    strategy: random',
        '    preserve_host: true',
        '    timeout_secs: 2.5',
        '    connect_timeout_secs: 1',
      ),
    );
    const route = config.routes[0] as LoadBalanceRoute;
    expect(route).toMatchObject({
      type: 'load_balance',
      targets: [
        { url: 'http://a:1', weight: 1, healthPath: '/health' },
        { url: 'https://b:2', weight: 1, healthPath: '/health' },
      ],
      strategy: 'random',
      hashKey: { by: 'ip', name: null },
      preserveHost: true,
      timeoutSecs: 2.5,
      connectTimeoutSecs: 1,
      pathRewrite: null,
    });
  });

  it('defaults load_balance strategy to round_robin and redirect status to 307', () => {
    const config = loadValid(
      yaml(...HEADER, '  /lb: {type: load_balance, targets: ["http://a"]}', '  /old: {type: redirect, target: /new}'),
    );
    expect((config.routes[0] as LoadBalanceRoute).strategy).toBe('round_robin');
    expect(config.routes[1] as RedirectRoute).toEqual({
      type: 'redirect',
      key: '/old',
      host: null,
      pathPrefix: '/old',
      accessLog: true,
      errorPages: [],
      rateLimit: null,
      ...NO_POLICIES,
      target: '/new',
      statusCode: 307,
    });
  });

  it('turns static routes into StaticRoute with defaults and the root resolved against the config directory', () => {
    const result = load(yaml(...HEADER, '  /files:', '    type: static', '    root: ./static'));
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.routes[0] as StaticRoute).toEqual({
      type: 'static',
      key: '/files',
      host: null,
      pathPrefix: '/files',
      accessLog: true,
      errorPages: [],
      rateLimit: null,
      ...NO_POLICIES,
      root: path.resolve('static'),
      index: ['index.html'],
      fallback: null,
      allowDotfiles: false,
      precompressed: false,
      cacheControl: null,
    });
    expect(result.warnings).toEqual([]);
  });
});
