import { errorsOf, HEADER, loadValid, yaml } from './support';

const ROUTE = ['  /api:', '    type: proxy', '    target: "http://127.0.0.1:9001"'];

describe('edge policies in the config', () => {
  it('normalises ip_filter, null when absent', () => {
    const config = loadValid(yaml(...HEADER, ...ROUTE, '    ip_filter: {allow: ["10.0.0.0/8", "2001:db8::/32"], deny: [10.9.9.9/32]}', '  /free:', '    type: proxy', '    target: "http://127.0.0.1:9001"'));
    expect(config.routes[0]!.ipFilter).toEqual({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.9.9.9/32'] });
    expect(config.routes[1]!.ipFilter).toBeNull();
  });

  it('refuses an ip_filter entry that is not an address or CIDR, at its line', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    ip_filter:', '      allow: ["10.0.0.0/8", "10.0.0.0/33"]', '      deny: [loopback]'));
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [7, '/routes/~1api/ip_filter/allow/1'],
      [8, '/routes/~1api/ip_filter/deny/0'],
    ]);
    expect(errors[0]!.message).toMatch(/"10.0.0.0\/33" is not an IP address or CIDR range/);
    expect(errors[0]!.hint).toMatch(/10\.0\.0\.0\/8/);
  });

  it('refuses an empty ip_filter', () => {
    expect(errorsOf(yaml(...HEADER, ...ROUTE, '    ip_filter: {}')).length).toBeGreaterThan(0);
  });
});
