import { runProxCli, writeTempConfig } from '../support/prox-process';

const ROUTED = `listen_addr: "127.0.0.1:0"
routes:
  "/api": { type: proxy, target: "http://127.0.0.1:9", path_rewrite: "/v2" }
`;

describe('prox explain (CLI)', () => {
  it('exits 0 with the steps for a routed URL, 3 for an unrouted one, 2 for an invalid config', async () => {
    const file = writeTempConfig(ROUTED);
    const routed = await runProxCli(['explain', '--config', file, 'GET', 'http://example.com/api/users?q=1', '-H', 'X-Api-Key: k']);
    expect(routed.code).toBe(0);
    expect(routed.stdout).toContain('route "/api" (proxy)');
    expect(routed.stdout).toContain('upstream request: GET http://127.0.0.1:9/v2/users?q=1');

    const json = await runProxCli(['explain', '--config', file, '--format', 'json', 'GET', '/elsewhere', '-H', 'Host: example.com']);
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ matched: false, route: null, request: { host: 'example.com', path: '/elsewhere' } });

    const invalid = await runProxCli(['explain', '--config', writeTempConfig('listen_addr: nope\nroutes: {}\n'), 'GET', '/']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toContain('nothing to explain');
  });
});

describe('prox validate route lint (CLI)', () => {
  it('warns with the YAML line and exits 0; --strict makes the warning an error and exits 1', async () => {
    const file = writeTempConfig(`listen_addr: "127.0.0.1:0"\nroutes:\n  "/a": { type: redirect, target: "/b" }\n  "/b": { type: redirect, target: "/a" }\n`);
    const lenient = await runProxCli(['validate', '--config', file]);
    expect(lenient.code).toBe(0);
    expect(lenient.stdout).toContain(`${file}:3:`);
    expect(lenient.stdout).toContain('warning  routes["/a"].target  redirect loop: "/a" -> "/b" -> "/a"');
    const strict = await runProxCli(['validate', '--strict', '--config', file]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toContain('error  routes["/a"].target  redirect loop');
  });
});

describe('prox diff (CLI)', () => {
  it('exits 0 without changes, 1 with changes (text and json), 2 when a file is invalid; validate --against prints the diff', async () => {
    const before = writeTempConfig(ROUTED);
    const after = writeTempConfig(ROUTED.replace('path_rewrite: "/v2"', 'path_rewrite: "/v3"'));
    expect((await runProxCli(['diff', before, before])).code).toBe(0);
    const text = await runProxCli(['diff', before, after]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('~ "/api": path_rewrite');
    expect(text.stdout).toContain('after:  route "/api" -> http://127.0.0.1:9/v3/probe');
    const json = await runProxCli(['diff', '--format', 'json', before, after]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ changed: true, routesChanged: [{ key: '/api', fields: ['path_rewrite'] }] });
    expect((await runProxCli(['diff', before, writeTempConfig('listen_addr: nope\nroutes: {}\n')])).code).toBe(2);
    const against = await runProxCli(['validate', '--config', after, '--against', before]);
    expect(against.code).toBe(0);
    expect(against.stdout).toContain('valid');
    expect(against.stdout).toContain('~ "/api": path_rewrite');
  });
});
