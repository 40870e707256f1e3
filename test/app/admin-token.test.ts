import { adminListenerNeedsToken, withBearerToken } from '../../src/app/admin-endpoints';
import type { AdminHandler } from '../../src/ports/admin-server';

const ok: AdminHandler = (_method, path) => Promise.resolve({ status: 200, contentType: 'text/plain', body: path });

describe('withBearerToken', () => {
  const guarded = withBearerToken(ok, 'sixteen-chars-token');

  it('answers 401 without the exact bearer token, before the endpoint runs', async () => {
    for (const authorization of [undefined, null, '', 'Bearer', 'Bearer sixteen-chars-toke', 'Bearer sixteen-chars-tokenX', 'bearer sixteen-chars-token', 'Basic sixteen-chars-token']) {
      expect((await guarded('GET', '/config', '', authorization)).status).toBe(401);
    }
  });

  it('passes the request on with the token', async () => {
    expect(await guarded('GET', '/config', '', 'Bearer sixteen-chars-token')).toMatchObject({ status: 200, body: '/config' });
  });

  it('keeps /healthz and /readyz open', async () => {
    expect((await guarded('GET', '/healthz')).status).toBe(200);
    expect((await guarded('GET', '/readyz')).status).toBe(200);
  });
});

describe('adminListenerNeedsToken', () => {
  const admin = (host: string, token: string | null) => ({ enabled: true, listenAddr: { host, port: 9901 }, publicPathPrefix: null, token });

  it('checks a token on every non-loopback address and leaves loopback open', () => {
    expect(adminListenerNeedsToken(admin('0.0.0.0', 'sixteen-chars-token'))).toBe(true);
    expect(adminListenerNeedsToken(admin('10.1.2.3', 'sixteen-chars-token'))).toBe(true);
    expect(adminListenerNeedsToken(admin('::', 'sixteen-chars-token'))).toBe(true);
    expect(adminListenerNeedsToken(admin('127.0.0.1', 'sixteen-chars-token'))).toBe(false);
    expect(adminListenerNeedsToken(admin('::1', 'sixteen-chars-token'))).toBe(false);
    expect(adminListenerNeedsToken(admin('0.0.0.0', null))).toBe(false);
  });
});
