import bcrypt from 'bcryptjs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { errorsOf, HEADER, load, loadValid, yaml } from './support';

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

describe('cors in the config', () => {
  it('normalises cors with its defaults', () => {
    const config = loadValid(yaml(...HEADER, ...ROUTE, '    cors: {allow_origins: ["https://app.example.com"], allow_methods: [get, PUT]}'));
    expect(config.routes[0]!.cors).toEqual({
      allowOrigins: ['https://app.example.com'],
      allowMethods: ['GET', 'PUT'],
      allowHeaders: [],
      exposeHeaders: [],
      allowCredentials: false,
      maxAgeSecs: null,
    });
  });

  it('refuses "*" with credentials, at allow_credentials', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    cors:', '      allow_origins: ["*"]', '      allow_credentials: true'));
    expect(errors.map((e) => [e.line, e.path, e.message])).toEqual([[8, '/routes/~1api/cors/allow_credentials', 'allow_credentials cannot be combined with allow_origins "*"']]);
    expect(errors[0]!.hint).toMatch(/list the origins/);
  });

  it('refuses an origin with a path or without a scheme', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    cors: {allow_origins: ["https://ok.example", "https://app.example.com/", "app.example.com"]}'));
    expect(errors.map((e) => e.path)).toEqual(['/routes/~1api/cors/allow_origins/1', '/routes/~1api/cors/allow_origins/2']);
    expect(errors[0]!.message).toBe('"https://app.example.com/" is not an origin');
  });
});

describe('compression in the config', () => {
  it('normalises compression with its defaults; enabled: false is no compression', () => {
    const config = loadValid(yaml(...HEADER, ...ROUTE, '    compression: {}', '  /off:', '    type: proxy', '    target: "http://127.0.0.1:9001"', '    compression: {enabled: false, algorithms: [gzip]}'));
    expect(config.routes[0]!.compression).toEqual({
      algorithms: ['br', 'gzip'],
      minBytes: 1024,
      types: ['text/*', 'application/json', 'application/javascript', 'application/xml', 'image/svg+xml'],
    });
    expect(config.routes[1]!.compression).toBeNull();
  });

  it('refuses an unknown algorithm and a malformed type', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    compression: {algorithms: [deflate], types: ["text"]}'));
    expect(errors.map((e) => e.path)).toEqual(['/routes/~1api/compression/algorithms/0', '/routes/~1api/compression/types/0']);
  });

  it('warns that zstd is skipped on a Node without it (none on a Node with it)', () => {
    const hasZstd = typeof (zlib as unknown as { createZstdCompress?: unknown }).createZstdCompress === 'function';
    const result = load(yaml(...HEADER, ...ROUTE, '    compression: {algorithms: [zstd, gzip]}'));
    expect(result.ok).toBe(true);
    const expected = hasZstd ? [] : [[6, `zstd is not available on Node ${process.versions.node} and is skipped`]];
    expect(result.warnings.map((w) => [w.line, w.message])).toEqual(expected);
  });
});

describe('auth.basic in the config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'prox-htpasswd-'));
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  it('reads the users file at load time', () => {
    const hash = bcrypt.hashSync('pw', 4);
    const users = file('ok', `# ops team\nalice:${hash}\n\n`);
    const config = loadValid(yaml(...HEADER, ...ROUTE, `    auth: {basic: {realm: ops, users_file: "${users}"}}`));
    expect(config.routes[0]!.auth).toEqual({ scheme: 'basic', realm: 'ops', users: [{ name: 'alice', hash }], forwardCredentials: false });
  });

  it('refuses a missing file and a file with plain-text or MD5 entries, naming the line', () => {
    const missing = errorsOf(yaml(...HEADER, ...ROUTE, `    auth: {basic: {users_file: "${join(dir, 'nope')}"}}`));
    expect(missing.map((e) => [e.line, e.path])).toEqual([[6, '/routes/~1api/auth/basic/users_file']]);
    expect(missing[0]!.message).toMatch(/cannot read users file .*ENOENT/);
    const plain = file('plain', `alice:${bcrypt.hashSync('pw', 4)}\nbob:hunter2\n`);
    expect(errorsOf(yaml(...HEADER, ...ROUTE, `    auth: {basic: {users_file: "${plain}"}}`))[0]!.message).toMatch(/line 2 is not user:bcrypt-hash/);
    const md5 = file('md5', 'carol:$apr1$abc$0123456789abcdefghijkl\n');
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, `    auth: {basic: {users_file: "${md5}"}}`));
    expect(errors[0]!.message).toMatch(/line 1 is not user:bcrypt-hash/);
    expect(errors[0]!.hint).toMatch(/never plain text, MD5/);
  });
});

describe('auth.jwt and auth.forward in the config', () => {
  it('normalises auth.jwt with its defaults', () => {
    const config = loadValid(yaml(...HEADER, ...ROUTE, '    auth: {jwt: {jwks_url: "https://idp.example.com/jwks.json", issuer: "https://idp.example.com", audience: orders, claims_to_headers: {sub: X-User}}}'));
    expect(config.routes[0]!.auth).toEqual({
      scheme: 'jwt',
      jwksUrl: 'https://idp.example.com/jwks.json',
      issuer: 'https://idp.example.com',
      audience: 'orders',
      algorithms: ['RS256', 'ES256'],
      leewaySecs: 30,
      jwksCacheMs: 600_000,
      claimsToHeaders: [{ claim: 'sub', header: 'x-user' }],
      tokenCookie: null,
      realm: 'prox',
      forwardCredentials: false,
    });
  });

  it('normalises auth.forward with its defaults', () => {
    const config = loadValid(yaml(...HEADER, ...ROUTE, '    auth: {forward: {url: "http://127.0.0.1:9000/check", copy_response_headers: [X-User]}}'));
    expect(config.routes[0]!.auth).toEqual({ scheme: 'forward', url: 'http://127.0.0.1:9000/check', copyRequestHeaders: ['cookie', 'authorization'], copyResponseHeaders: ['x-user'], timeoutMs: 2000, forwardCredentials: false });
  });

  it('refuses none and HMAC algorithms with the reason, not a look-alike suggestion', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    auth: {jwt: {jwks_url: "https://idp/jwks", issuer: a, audience: b, algorithms: [RS256, HS256, none]}}'));
    expect(errors.map((e) => [e.line, e.path])).toEqual([
      [6, '/routes/~1api/auth/jwt/algorithms/1'],
      [6, '/routes/~1api/auth/jwt/algorithms/2'],
    ]);
    expect(errors[0]!.message).toMatch(/"HS256" is refused: HMAC algorithms need a shared secret/);
    expect(errors[0]!.hint).not.toMatch(/did you mean/);
    expect(errors[1]!.message).toMatch(/"none" is refused: unsigned tokens prove nothing/);
  });

  it('refuses a jwks_url that is not an absolute http(s) URL, and incomplete settings', () => {
    const relative = errorsOf(yaml(...HEADER, ...ROUTE, '    auth:', '      jwt: {jwks_url: "/jwks", issuer: a, audience: b}'));
    expect(relative.map((e) => [e.line, e.path])).toEqual([[7, '/routes/~1api/auth/jwt/jwks_url']]);
    const hostless = errorsOf(yaml(...HEADER, ...ROUTE, '    auth:', '      jwt: {jwks_url: "https://", issuer: a, audience: b}'));
    expect(hostless.map((e) => [e.line, e.message])).toEqual([[7, '"https://" is not an absolute http(s) URL of a key set']]);
    const incomplete = errorsOf(yaml(...HEADER, ...ROUTE, '    auth: {jwt: {jwks_url: "https://idp/jwks", issuer: a}}'));
    expect(incomplete.map((e) => e.message)).toEqual(['missing required field "audience" in jwt']);
  });

  it('refuses two schemes on one route, naming both, at the auth line', () => {
    const errors = errorsOf(yaml(...HEADER, ...ROUTE, '    auth:', '      jwt: {jwks_url: "https://idp/jwks", issuer: a, audience: b}', '      forward: {url: "http://auth/check"}'));
    expect(errors.map((e) => [e.line, e.path, e.message])).toEqual([[6, '/routes/~1api/auth', 'auth takes one scheme per route; found jwt, forward']]);
    expect(errors[0]!.hint).toMatch(/keep one of basic, jwt and forward/);
  });
});
