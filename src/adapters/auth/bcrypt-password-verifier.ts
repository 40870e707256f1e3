import bcrypt from 'bcryptjs';
import { createHash } from 'node:crypto';
import type { PasswordVerifier } from '../../ports/password-verifier';

/** Distinct credentials remembered as verified; the oldest is forgotten beyond this. */
const MAX_REMEMBERED = 1024;

/**
 * bcrypt through bcryptjs (pure JS, no native build; its compare is constant-time). A bcrypt
 * check costs tens of milliseconds on purpose, so a credential that verified once is
 * remembered by a SHA-256 of hash and password (never the password itself) for later requests.
 */
export class BcryptPasswordVerifier implements PasswordVerifier {
  private readonly verified = new Map<string, true>();

  async verify(password: string, hash: string): Promise<boolean> {
    const key = createHash('sha256').update(hash).update('\0').update(password).digest('base64');
    if (this.verified.has(key)) return true;
    let matches: boolean;
    try {
      matches = await bcrypt.compare(password, hash);
    } catch {
      return false;
    }
    if (matches) {
      if (this.verified.size >= MAX_REMEMBERED) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(key, true);
    }
    return matches;
  }
}
