/**
 * The forward-auth call: one request to the operator's auth service per client request. Behind
 * a port because it is I/O (undici in production).
 */
export interface AuthService {
  /** Never rejects: transport failures and timeouts come back as `failed`. */
  check(request: AuthCheckRequest): Promise<AuthCheckResult>;
}

export const AuthService = Symbol.for('prox.AuthService');

export interface AuthCheckRequest {
  /** Absolute http:// or https:// URL of the check endpoint. */
  readonly url: string;
  readonly method: string;
  /** Flat `[name, value, ...]`, lower-case names. */
  readonly headers: readonly string[];
  /** Deadline for the whole answer, body included. */
  readonly timeoutMs: number;
}

export type AuthCheckResult =
  /** The service answered: status, flat lower-case headers, body (bounded). */
  | { readonly kind: 'answer'; readonly status: number; readonly headers: readonly string[]; readonly body: Uint8Array }
  /** No answer: refused, reset, timed out, TLS failure. */
  | { readonly kind: 'failed'; readonly detail: string };
