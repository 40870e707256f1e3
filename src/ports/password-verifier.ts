/**
 * Checks a password against a stored hash (bcrypt). Behind a port: the hashing library is a
 * package, and the work is CPU-heavy by design, so the adapter may cache successes.
 */
export interface PasswordVerifier {
  /** Never rejects: a malformed hash is simply no match. */
  verify(password: string, hash: string): Promise<boolean>;
}

export const PasswordVerifier = Symbol.for('prox.PasswordVerifier');
