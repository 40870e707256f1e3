import type { DiagnosticList } from './diagnostics';
import { formatListenAddress, isListenAddressProblem, parseListenAddress, isLoopbackHost, sameListenAddress } from './listen-address';
import { asRecord, asString } from './raw-config';
import { isRouteKeyProblem, normalisePathPrefix, parseRouteKey } from './route-key';

type Fields = Readonly<Record<string, unknown>>;

/**
 * Header names that cannot double as the request id header: prox or HTTP itself gives them a
 * meaning (framing, hop-by-hop, routing, forwarding, state), and the id header is replaced on
 * the way upstream and on the way back.
 */
const RESERVED_ID_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade',
  'expect',
  'date',
  'location',
  'retry-after',
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
]);

/**
 * Rules for the operator-facing settings the schema cannot express: `admin` (its address, and
 * where `public_path` sits among the routes), `request_id_header`.
 *
 * Runs on possibly schema-invalid data, so every access is guarded.
 */
export function checkOperationsSettings(config: Fields, out: DiagnosticList): void {
  const admin = asRecord(config['admin']);
  if (admin) {
    checkAdminListenAddress(admin, config['listen_addr'], out);
    checkPublicPath(admin, config['routes'], out);
    checkAdminToken(admin, out);
  }
  checkRequestIdHeader(config['request_id_header'], out);
}

function checkAdminListenAddress(admin: Fields, mainValue: unknown, out: DiagnosticList): void {
  const text = asString(admin['listen_addr']);
  if (text === undefined) return;
  const parsed = parseListenAddress(text);
  if (isListenAddressProblem(parsed)) {
    out.error(['admin', 'listen_addr'], `invalid admin listen address: ${parsed.message}`, { hint: parsed.hint });
    return;
  }
  // Without the admin listener the address is never bound, so it cannot clash.
  if (admin['enabled'] === false) return;
  const mainText = asString(mainValue);
  const main = mainText === undefined ? undefined : parseListenAddress(mainText);
  if (main === undefined || isListenAddressProblem(main)) return;
  if (sameListenAddress(parsed, main)) {
    const other = { ...parsed, port: parsed.port === 9901 ? 9902 : 9901 };
    out.error(['admin', 'listen_addr'], `admin.listen_addr ${formatListenAddress(parsed)} is the same address as listen_addr`, {
      hint: `the admin endpoints need a listener of their own: use another port, e.g. "${formatListenAddress(other)}", or set admin.enabled: false`,
    });
  }
}

function checkPublicPath(admin: Fields, routesValue: unknown, out: DiagnosticList): void {
  const written = asString(admin['public_path']);
  // The schema reports a value that is not a path starting with `/`.
  if (written === undefined || !/^\/[^?#\s]*$/.test(written)) return;
  const at = ['admin', 'public_path'];
  // No warning that it exposes the endpoints: without admin.token that is an error
  // (checkAdminToken), and with one only the token's holders can read them.
  const prefix = normalisePathPrefix(written);
  if (prefix === '/') {
    out.error(at, 'admin.public_path cannot be "/": every request would go to the admin endpoints', {
      hint: 'use a prefix of its own, e.g. "/_prox"',
    });
    return;
  }
  if (prefix.split('/').some((segment) => segment === '.' || segment === '..')) {
    out.error(at, `admin.public_path "${written}" contains a "." or ".." segment and can never match`, {
      hint: 'request paths are matched with dot segments removed; write the path without them',
    });
    return;
  }
  for (const key of Object.keys(asRecord(routesValue) ?? {})) {
    const route = parseRouteKey(key);
    if (isRouteKeyProblem(route)) continue;
    if (route.pathPrefix === prefix || route.pathPrefix.startsWith(prefix + '/')) {
      out.error(at, `admin.public_path "${written}" hides route "${key}": the admin endpoints are answered before routes are matched, on every host`, {
        hint: 'pick a public_path that no route uses, e.g. "/_prox", or move the route',
      });
    }
  }
}

/**
 * The admin endpoints show metrics, backend addresses and the config: beyond loopback they need
 * a bearer token. `/healthz` and `/readyz` stay open (orchestrator probes carry no token).
 */
function checkAdminToken(admin: Fields, out: DiagnosticList): void {
  if (typeof admin['token'] === 'string') return;
  const hint = 'set admin.token to a long random string (e.g. `openssl rand -hex 24`) and send it as "Authorization: Bearer <token>"; /healthz and /readyz stay open';
  const listenText = asString(admin['listen_addr']);
  const listen = listenText === undefined ? undefined : parseListenAddress(listenText);
  if (admin['enabled'] !== false && listen !== undefined && !isListenAddressProblem(listen) && !isLoopbackHost(listen.host)) {
    out.error(['admin', 'listen_addr'], `admin.listen_addr ${formatListenAddress(listen)} is reachable beyond this host: the admin endpoints there need admin.token`, {
      hint: `${hint}; or keep the admin listener on loopback (127.0.0.1)`,
    });
  }
  if (typeof admin['public_path'] === 'string') {
    out.error(['admin', 'public_path'], 'admin.public_path exposes the admin endpoints on the public listener: it needs admin.token', { hint });
  }
}

function checkRequestIdHeader(value: unknown, out: DiagnosticList): void {
  const name = asString(value);
  if (name === undefined || !RESERVED_ID_HEADERS.has(name.toLowerCase())) return;
  out.error(['request_id_header'], `"${name}" cannot be the request id header: it already has a meaning of its own`, {
    hint: 'use a header of its own, e.g. "x-request-id" or "x-correlation-id"',
  });
}
