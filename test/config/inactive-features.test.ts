import { HEADER, load, yaml } from './support';

describe('not-active-yet warnings', () => {
  const text = yaml(
    ...HEADER, //                                  1-2
    '  /api:', //                                  3
    '    type: proxy', //                          4
    '    target: "http://a"', //                   5
    '    rate_limit: {by: ip, requests: 1, period: 1s}', // 6 active now: no warning
    '    request_headers: {remove: [Cookie]}', //  7 active now: no warning
    '    response_headers: {add: {Server: p}}', // 8 active now: no warning
    '    request_body: {set_text: x}', //          9 active now: no warning
    '    response_body: {set_json: {a: 1}}', //    10 active now: no warning
    'tls: {acme: {enabled: false}}', //          11
    'health_check: {enabled: false}', //           12 active now: no warning
    'backend_health_paths: {"http://a": /up}', //  13 active now: no warning
    'protocols: {http2_enabled: true, http3_enabled: false}', // 14: http2 active, http3 not
  );

  it('keeps the config valid', () => {
    expect(load(text).ok).toBe(true);
  });

  it('warns once per inactive field, at its line', () => {
    const result = load(text);
    const found = result.warnings.map((w) => [w.line, w.path]);
    expect(found).toEqual([
      [11, '/tls/acme'],
      [14, '/protocols/http3_enabled'],
    ]);
    for (const warning of result.warnings) expect(warning.severity).toBe('warning');
    expect(result.warnings.find((w) => w.path === '/protocols/http3_enabled')!.message).toMatch(/is accepted but not active yet in prox 0\.1: it has no effect$/);
    expect(result.warnings.find((w) => w.path === '/tls/acme')!.message).toBe('tls.acme is not enabled (enabled: true turns it on): it has no effect');
  });

  it('does not warn about a plain config', () => {
    expect(load(yaml(...HEADER, '  /: {type: proxy, target: "http://a"}')).warnings).toEqual([]);
  });

  it('still warns when the config also has errors', () => {
    const result = load(yaml('listen_addr: nope', 'routes:', '  /: {type: proxy, target: "http://a"}', 'protocols: {http3_enabled: true}'));
    expect(result.ok).toBe(false);
    expect(result.warnings.map((w) => w.line)).toEqual([4]);
  });

  it('no longer warns about health_check and backend_health_paths, which are active', () => {
    const result = load(
      yaml(...HEADER, '  /: {type: proxy, target: "http://a"}', 'health_check: {}', 'backend_health_paths: {"http://a": /up}'),
    );
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([]);
  });
});
