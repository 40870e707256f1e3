import { CorsPolicy, dropUpstreamCorsHeaders } from '../../../src/core/policies/cors';
import type { CorsSpec } from '../../../src/core/model';
import type { InboundRequest } from '../../../src/ports/http-server';

function request(method: string, headers: string[]): InboundRequest {
  return { method, path: '/', query: '', hostname: 'api.test', authority: 'api.test', headers, remoteAddress: '127.0.0.1', scheme: 'https', body: null };
}

const SPEC: CorsSpec = {
  allowOrigins: ['https://app.example.com'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['Content-Type', 'Authorization'],
  exposeHeaders: ['X-Total'],
  allowCredentials: true,
  maxAgeSecs: 600,
};

describe('CorsPolicy', () => {
  it('answers an allowed preflight with methods, headers, credentials and max age', () => {
    const outcome = new CorsPolicy(SPEC).decide(request('OPTIONS', ['origin', 'https://APP.example.com', 'access-control-request-method', 'POST']));
    expect(outcome).toEqual({
      preflight: true,
      headers: [
        'access-control-allow-origin', 'https://APP.example.com',
        'access-control-allow-methods', 'GET, POST',
        'access-control-allow-headers', 'Content-Type, Authorization',
        'access-control-allow-credentials', 'true',
        'access-control-max-age', '600',
        'vary', 'origin, access-control-request-method, access-control-request-headers',
      ],
    });
  });

  it('answers a preflight from another origin without any CORS grant', () => {
    const outcome = new CorsPolicy(SPEC).decide(request('OPTIONS', ['origin', 'https://evil.example', 'access-control-request-method', 'POST']));
    expect(outcome.preflight).toBe(true);
    expect(outcome.headers.filter((_, i) => i % 2 === 0)).toEqual(['vary']);
  });

  it('treats OPTIONS without Access-Control-Request-Method as an ordinary request', () => {
    expect(new CorsPolicy(SPEC).decide(request('OPTIONS', ['origin', 'https://app.example.com'])).preflight).toBe(false);
  });

  it('grants an allowed origin on actual requests, echoing it (credentials), and only Vary otherwise', () => {
    const policy = new CorsPolicy(SPEC);
    expect(policy.decide(request('GET', ['origin', 'https://app.example.com']))).toEqual({
      preflight: false,
      headers: ['access-control-allow-origin', 'https://app.example.com', 'vary', 'origin', 'access-control-allow-credentials', 'true', 'access-control-expose-headers', 'X-Total'],
    });
    expect(policy.decide(request('GET', ['origin', 'https://evil.example']))).toEqual({ preflight: false, headers: ['vary', 'origin'] });
    expect(policy.decide(request('GET', []))).toEqual({ preflight: false, headers: ['vary', 'origin'] });
  });

  it('sends * for any origin without credentials, and echoes requested headers with allow_headers *', () => {
    const policy = new CorsPolicy({ ...SPEC, allowOrigins: ['*'], allowCredentials: false, allowHeaders: ['*'], maxAgeSecs: null });
    const outcome = policy.decide(request('OPTIONS', ['origin', 'https://any.example', 'access-control-request-method', 'PUT', 'access-control-request-headers', 'x-a, x-b']));
    expect(outcome.headers).toEqual([
      'access-control-allow-origin', '*',
      'access-control-allow-methods', 'GET, POST',
      'access-control-allow-headers', 'x-a, x-b',
      'vary', 'origin, access-control-request-method, access-control-request-headers',
    ]);
  });

  it("drops the backend's Access-Control-* headers and keeps the rest in order", () => {
    const headers = ['content-type', 'text/plain', 'access-control-allow-origin', '*', 'x-a', '1', 'access-control-allow-credentials', 'true'];
    dropUpstreamCorsHeaders(headers);
    expect(headers).toEqual(['content-type', 'text/plain', 'x-a', '1']);
  });
});
