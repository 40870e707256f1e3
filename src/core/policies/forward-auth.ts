import type { AuthService } from '../../ports/auth-service';
import type { InboundRequest } from '../../ports/http-server';
import { clientIpOf } from '../client-ip';
import { isHopByHop } from '../forwarding/hop-by-hop';
import type { ForwardAuthSpec } from '../model';
import type { AuthVerdict, RouteAuth } from './route-auth';
import { withHeaders } from './exchange-with-request';

/** Headers of a denial prox does not pass on: framing is its own, the rest is per hop. */
const DROPPED_FROM_DENIAL = new Set(['content-length', 'transfer-encoding', 'date']);

/**
 * A route's `auth.forward`: asks the operator's auth service about each request. A 2xx lets it
 * through with the named answer headers copied onto it (client-sent copies of those removed,
 * so they cannot be forged); any other answer goes back to the client as is; no answer (down,
 * timeout) is 503, never a pass.
 */
export class ForwardAuth implements RouteAuth {
  readonly scheme = 'forward';
  private readonly copyRequest: ReadonlySet<string>;
  private readonly copyResponse: ReadonlySet<string>;
  private readonly removed: ReadonlySet<string>;

  constructor(
    private readonly spec: ForwardAuthSpec,
    private readonly service: AuthService,
    private readonly isTrustedPeer: (address: string) => boolean,
  ) {
    this.copyRequest = new Set(spec.copyRequestHeaders);
    this.copyResponse = new Set(spec.copyResponseHeaders);
    const removed = new Set(spec.copyResponseHeaders);
    if (!spec.forwardCredentials) removed.add('authorization');
    this.removed = removed;
  }

  async check(request: InboundRequest): Promise<AuthVerdict> {
    const headers: string[] = [];
    for (let i = 0; i < request.headers.length; i += 2) if (this.copyRequest.has(request.headers[i])) headers.push(request.headers[i], request.headers[i + 1]);
    headers.push(
      'x-forwarded-method', request.method,
      'x-forwarded-proto', request.scheme,
      'x-forwarded-host', request.authority,
      'x-forwarded-uri', request.query.length === 0 ? request.path : request.path + '?' + request.query,
      'x-forwarded-for', clientIpOf(request, this.isTrustedPeer),
    );
    const result = await this.service.check({ url: this.spec.url, method: 'GET', headers, timeoutMs: this.spec.timeoutMs });
    if (result.kind === 'failed') return { pass: false, status: 503, code: 'auth_unavailable', headers: [], body: null, detail: result.detail };
    if (result.status >= 200 && result.status < 300) {
      const added: string[] = [];
      for (let i = 0; i < result.headers.length; i += 2) if (this.copyResponse.has(result.headers[i])) added.push(result.headers[i], result.headers[i + 1]);
      return { pass: true, request: withHeaders(request, this.removed, added) };
    }
    const denial: string[] = [];
    for (let i = 0; i < result.headers.length; i += 2) {
      const name = result.headers[i];
      if (!DROPPED_FROM_DENIAL.has(name) && !isHopByHop(name)) denial.push(name, result.headers[i + 1]);
    }
    return { pass: false, status: result.status, code: 'unauthorized', headers: denial, body: result.body, detail: null };
  }
}
