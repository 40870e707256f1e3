import type { InboundRequest } from '../../ports/http-server';
import type { PasswordVerifier } from '../../ports/password-verifier';
import type { BasicAuthSpec } from '../model';
import { headerValue } from '../static/request-headers';
import { withHeaders } from './exchange-with-request';
import type { AuthVerdict, RouteAuth } from './route-auth';

const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization']);

/** A valid bcrypt hash of a random password: unknown users are checked against it, so they take as long as known ones. */
const DECOY_HASH = '$2b$10$AkJX.wKJAz75SPBXvzCJfOb30AvoFiisXjyr2U5szGyIDCIEN9H7a';

/** A route's `auth.basic`, compiled: users by name, the challenge header prepared. */
export class BasicAuth implements RouteAuth {
  readonly scheme = 'basic';
  readonly challenge: readonly string[];
  readonly forwardCredentials: boolean;
  private readonly users: ReadonlyMap<string, string>;

  constructor(
    spec: BasicAuthSpec,
    private readonly verifier: PasswordVerifier,
  ) {
    this.users = new Map(spec.users.map((user) => [user.name, user.hash]));
    this.challenge = ['www-authenticate', `Basic realm="${spec.realm}", charset="UTF-8"`];
    this.forwardCredentials = spec.forwardCredentials;
  }

  async check(request: InboundRequest): Promise<AuthVerdict> {
    if (!(await this.admits(request))) return { pass: false, status: 401, code: 'unauthorized', headers: this.challenge, body: null, detail: null };
    return { pass: true, request: this.forwardCredentials ? request : withHeaders(request, CREDENTIAL_HEADERS) };
  }

  /** Whether the request carries the credentials of a listed user. */
  async admits(request: InboundRequest): Promise<boolean> {
    const credentials = basicCredentials(headerValue(request.headers, 'authorization'));
    if (credentials === null) return false;
    const hash = this.users.get(credentials.user);
    const matches = await this.verifier.verify(credentials.password, hash ?? DECOY_HASH);
    return matches && hash !== undefined;
  }
}

/** `Basic base64(user:password)` decoded as UTF-8 (RFC 7617); null when absent or malformed. */
export function basicCredentials(authorization: string | null): { user: string; password: string } | null {
  if (authorization === null) return null;
  const match = /^basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(authorization);
  if (match === null) return null;
  let decoded: string;
  try {
    const binary = atob(match[1]);
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
