import bcrypt from 'bcryptjs';
import { BcryptPasswordVerifier } from '../../../src/adapters/auth/bcrypt-password-verifier';
import { BasicAuth, basicCredentials } from '../../../src/core/policies/basic-auth';
import type { InboundRequest } from '../../../src/ports/http-server';

function request(authorization?: string): InboundRequest {
  return { method: 'GET', path: '/', query: '', hostname: 'h', authority: 'h', headers: authorization === undefined ? [] : ['authorization', authorization], remoteAddress: '127.0.0.1', scheme: 'http', body: null };
}

const basic = (credentials: string): string => 'Basic ' + Buffer.from(credentials, 'utf8').toString('base64');

describe('BasicAuth', () => {
  const auth = new BasicAuth(
    { scheme: 'basic', realm: 'ops', users: [{ name: 'alice', hash: bcrypt.hashSync('s3cret:with colon', 4) }, { name: 'jörg', hash: bcrypt.hashSync('pässword', 4) }], forwardCredentials: false },
    new BcryptPasswordVerifier(),
  );

  it('admits a listed user with the right password (UTF-8, colons in the password)', async () => {
    expect(await auth.admits(request(basic('alice:s3cret:with colon')))).toBe(true);
    expect(await auth.admits(request(basic('jörg:pässword')))).toBe(true);
    // Remembered after the first check: the same answer again.
    expect(await auth.admits(request(basic('alice:s3cret:with colon')))).toBe(true);
  });

  it('refuses wrong passwords, unknown users, other schemes and garbage', async () => {
    for (const header of [basic('alice:wrong'), basic('mallory:s3cret:with colon'), 'Bearer abc', 'Basic !!!', basic('nocolon'), undefined]) {
      expect(await auth.admits(request(header))).toBe(false);
    }
  });

  it('challenges with the realm', () => {
    expect(auth.challenge).toEqual(['www-authenticate', 'Basic realm="ops", charset="UTF-8"']);
  });

  it('decodes credentials case-insensitively on the scheme', () => {
    expect(basicCredentials('basic ' + Buffer.from('a:b').toString('base64'))).toEqual({ user: 'a', password: 'b' });
    expect(basicCredentials(null)).toBeNull();
  });
});
