import type { IncomingMessage, ServerResponse } from 'node:http';
import { startBackend } from '../support/backends';
import { runProxCli, startProx, writeTempConfig } from '../support/prox-process';

/** Answers with its name (and to health probes on /). */
const named = (name: string) => (req: IncomingMessage, res: ServerResponse) => res.end(req.url === '/' ? 'health' : name);

/** The seeds' README examples with their backends replaced by test backends and ports picked by the kernel. */
describe('other proxies configs run as they are', () => {
  it('serves the Apex HTTP apex.toml example: round robin over its backends, strip_prefix honoured', async () => {
    const one = await startBackend(named('one'));
    const two = await startBackend(named('two'));
    const apex = `[server]
listen = "127.0.0.1:0"

[[routes]]
name = "my-api"
host = "*"
path_prefix = "/"
backends = [
    { url = "${one.url}" },
    { url = "${two.url}" },
]

[[routes]]
name = "stripped"
path_prefix = "/strip"
strip_prefix = true
backends = [{ url = "${one.url}" }]

[prox.admin]
listen_addr = "127.0.0.1:0"
`;
    const prox = await startProx(apex, {}, 'apex.toml');
    try {
      const bodies = new Set<string>();
      for (let i = 0; i < 4; i++) bodies.add(await (await fetch(`${prox.baseUrl}/hello`)).text());
      expect(bodies.size).toBe(2);
      const stripped = await fetch(`${prox.baseUrl}/strip/users?q=1`);
      expect(stripped.status).toBe(200);
      expect(one.received.at(-1)?.url).toBe('/users?q=1');

      const validate = await runProxCli(['validate', '--config', prox.configFile]);
      expect(validate.code).toBe(0);
      expect(validate.stdout).toContain('format: Apex HTTP (TOML)');
      const converted = await runProxCli(['convert', prox.configFile]);
      expect(converted.code).toBe(0);
      expect(converted.stdout).toContain('# Apex route "stripped": prox names routes by host and prefix');
      expect(converted.stdout).toContain('strip_prefix: true');
    } finally {
      await prox.stop();
      await one.close();
      await two.close();
    }
  });

  it('serves the ConnX config.yaml example: weighted round robin by weight, health checks and circuit breaker on', async () => {
    const light = await startBackend(named('light'));
    const heavy = await startBackend(named('heavy'));
    const connx = `server:
  port: 0
  host: "127.0.0.1"
  shutdownTimeout: 30

backends:
  - url: "${light.url}"
    weight: 1
  - url: "${heavy.url}"
    weight: 2

loadBalancing:
  algorithm: "weighted-round-robin"

healthCheck:
  interval: 30
  timeout: 5

circuitBreaker:
  enabled: true
  maxFailures: 5
  timeout: 60
  resetTimeout: 30
  halfOpenSuccess: 2

rateLimit:
  enabled: false

prox:
  admin: { listen_addr: "127.0.0.1:0" }
`;
    const prox = await startProx(connx, {}, 'connx.yaml');
    try {
      const counts: Record<string, number> = { light: 0, heavy: 0 };
      for (let i = 0; i < 6; i++) counts[await (await fetch(`${prox.baseUrl}/any/path`)).text()] += 1;
      expect(counts).toEqual({ light: 2, heavy: 4 });
      const explain = await runProxCli(['explain', '--config', prox.configFile, 'GET', '/x', '-H', 'Host: a']);
      expect(explain.code).toBe(0);
      expect(explain.stdout).toContain('pool (weighted_round_robin)');
      expect(explain.stdout).toContain('active health checks on');
    } finally {
      await prox.stop();
      await light.close();
      await heavy.close();
    }
  });

  it('refuses a TOML file in no known format, with its position', async () => {
    const bad = await runProxCli(['validate', '--config', writeTempConfig('[server]\nlisten = \n', 'apex.toml')]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('invalid TOML');
  });
});
