import type { InboundRequest } from '../../ports/http-server';
import type { ErrorCode } from '../error-responses';

/** A route's authentication, whatever the scheme. */
export interface RouteAuth {
  readonly scheme: 'basic' | 'forward' | 'jwt';
  /** Never rejects for a bad request; a rejection is a bug and answers 500. */
  check(request: InboundRequest): Promise<AuthVerdict>;
}

export type AuthVerdict =
  /** Serve `request`: the client's, with credentials removed and identity headers added as configured. */
  | { readonly pass: true; readonly request: InboundRequest }
  /**
   * Refuse with `status` and `headers`; `body` null means prox's own error body for `code`.
   * `detail` (why the check could not be made) goes to the operator's log only.
   */
  | { readonly pass: false; readonly status: number; readonly code: ErrorCode; readonly headers: readonly string[]; readonly body: Uint8Array | null; readonly detail: string | null };
