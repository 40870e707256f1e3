import { loadConfigText } from '../../src/config/loader';
import { apexTcpToRaw, isApexTcpConfig } from '../../src/config/formats/apex-tcp';

function messages(text: string, file = 'config.yaml'): string[] {
  const result = loadConfigText(text, file);
  return result.ok ? [] : result.errors.map((d) => `${d.line}:${d.path} ${d.message}`);
}

describe('tcp listeners in the config', () => {
  it('a config with only tcp listeners is valid and opens no HTTP listener', () => {
    const result = loadConfigText('tcp:\n  - listen_addr: "127.0.0.1:8081"\n    targets: [{ addr: "db.internal:5432", weight: 3 }]\n    proxy_protocol: v2\n    health_check: { interval_secs: 5 }\n', 'config.yaml');
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.config.httpListener).toBe(false);
    expect(result.config.routes).toEqual([]);
    expect(result.config.tcp).toEqual([
      {
        listenAddr: { host: '127.0.0.1', port: 8081 },
        backends: [{ host: 'db.internal', port: 5432, weight: 3 }],
        strategy: 'round_robin',
        healthCheck: { intervalSecs: 5, timeoutSecs: 2, unhealthyThreshold: 3, healthyThreshold: 2 },
        connectTimeoutSecs: 5,
        idleTimeoutSecs: 3600,
        maxConnections: 10000,
        proxyProtocol: 'v2',
        acceptProxyProtocol: false,
        sniRoutes: [],
      },
    ]);
  });

  it.each([
    ['nothing to serve', 'admin: { enabled: false }\n', ['1: the config has neither routes nor tcp listeners: there is nothing to serve']],
    ['a backend without a port', 'tcp:\n  - listen_addr: "127.0.0.1:1"\n    backend_addrs: ["localhost"]\n', ['3:/tcp/0/backend_addrs/0 backend "localhost" has no port']],
    ['no backends at all', 'tcp:\n  - listen_addr: "127.0.0.1:1"\n', ['2:/tcp/0 a tcp listener needs backends: backend_addrs, targets or sni_routes']],
    [
      'both backend lists',
      'tcp:\n  - listen_addr: "127.0.0.1:1"\n    backend_addrs: ["127.0.0.1:2"]\n    targets: [{ addr: "127.0.0.1:3" }]\n',
      ['4:/tcp/0/targets a tcp listener takes backend_addrs or targets, not both'],
    ],
    [
      'two listeners on one address',
      'tcp:\n  - listen_addr: "127.0.0.1:7000"\n    backend_addrs: ["127.0.0.1:2"]\n  - listen_addr: "127.0.0.1:7000"\n    backend_addrs: ["127.0.0.1:2"]\n',
      ['4:/tcp/1/listen_addr 127.0.0.1:7000 is already used by tcp[0]'],
    ],
    ['a bad SNI name', 'tcp:\n  - listen_addr: "127.0.0.1:1"\n    sni_routes: { "bad name": ["127.0.0.1:2"] }\n', ['3:/tcp/0/sni_routes/bad name "bad name" is not a host name or *.wildcard']],
    ['workers', 'workers: 2\ntcp:\n  - listen_addr: "127.0.0.1:1"\n    backend_addrs: ["127.0.0.1:2"]\n', ['1:/workers tcp listeners run in one process: workers must be 1 with tcp: (each worker would bind the same tcp ports)']],
  ])('refuses %s with its line', (_name, text, expected) => {
    expect(messages(text)).toEqual(expected);
  });
});

describe('the Apex TCP config.toml', () => {
  it('maps backend_addrs to a listener on 127.0.0.1:8081 with 5 s round robin connect checks', () => {
    const parsed = { backend_addrs: ['127.0.0.1:9000', '127.0.0.1:9001'] };
    expect(isApexTcpConfig(parsed)).toBe(true);
    expect(isApexTcpConfig({ routes: {} })).toBe(false);
    expect(apexTcpToRaw(parsed)).toEqual({
      tcp: [{ listen_addr: '127.0.0.1:8081', backend_addrs: ['127.0.0.1:9000', '127.0.0.1:9001'], strategy: 'round_robin', health_check: { interval_secs: 5, unhealthy_threshold: 1, healthy_threshold: 1 } }],
    });
  });

  it('loads a .toml file through the same validation', () => {
    const result = loadConfigText('backend_addrs = ["127.0.0.1:9000", "127.0.0.1:9001"]\n', 'config.toml');
    expect(result.ok && result.config.tcp?.map((listener) => [listener.listenAddr.port, listener.backends.length, listener.healthCheck?.intervalSecs])).toEqual([[8081, 2, 5]]);
    // A foreign file is validated as the prox YAML it converts to, but its lines are the TOML's.
    expect(messages('# Apex\n\nbackend_addrs = ["nope"]\n', 'config.toml')).toEqual(['3:/tcp/0/backend_addrs/0 backend "nope" has no port']);
    expect(messages('[server]\nport = 1\n', 'config.toml')[0]).toContain('TOML file in no format prox knows');
    expect(messages('backend_addrs = [\n', 'config.toml')[0]).toMatch(/^\d+:\s?invalid TOML/);
  });
});

describe('diagnostics of a TOML config point at its lines', () => {
  function positions(text: string, file = 'config.toml'): string[] {
    const result = loadConfigText(text, file);
    return result.ok ? [] : result.errors.map((d) => `${d.line}:${d.col} ${d.path} ${d.message}`);
  }

  it('an Apex backend, element by element, over several lines', () => {
    expect(positions('backend_addrs = [\n  "127.0.0.1:9000",  # primary\n  "127.0.0.1:x",\n]\n')).toEqual(['3:3 /tcp/0/backend_addrs/1 port "x" of backend "127.0.0.1:x" is not a number from 1 to 65535']);
  });

  it('the Apex listen_addr line', () => {
    expect(positions('backend_addrs = ["127.0.0.1:9000"]\n\nlisten_addr = "localhost"\n')).toEqual([expect.stringMatching(/^3:15 \/tcp\/0\/listen_addr invalid listen address/)]);
  });

  it('a setting in the [prox] table', () => {
    const text = 'backend_addrs = ["127.0.0.1:9000"]\n\n[prox]\ntrusted_proxies = ["loopback"]\nshutdown_timeout_secs = "soon"\n';
    expect(positions(text)).toEqual([expect.stringMatching(/^5:25 \/shutdown_timeout_secs /)]);
  });

  it('an Apex HTTP route backend, in its [[routes]] entry', () => {
    const text = '[server]\nlisten = "127.0.0.1:8080"\n\n[[routes]]\npath_prefix = "/a"\nbackends = [{ url = "http://127.0.0.1:9000" }]\n\n[[routes]]\npath_prefix = "/b"\nbackends = [{ url = "ftp://127.0.0.1:9001" }]\n';
    expect(positions(text, 'apex.toml')).toEqual([expect.stringMatching(/^10:21 \/routes\/~1b\/target /)]);
  });
});
