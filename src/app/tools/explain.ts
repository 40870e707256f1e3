import { hashKeyOf } from '../../core/balancing/hash-key';
import type { CompiledConfig, CompiledRoute, ForwardRoute, StaticFilesRoute } from '../../core/compiled-route';
import { errorAnswer } from '../../core/error-responses';
import { buildUpstreamRequestHeaders } from '../../core/forwarding/request-headers';
import { buildClientResponseHead } from '../../core/forwarding/response-headers';
import { isUnderPrefix, removeDotSegments, replacePrefix } from '../../core/routing/path';
import { ExchangeRules } from '../../core/rules/exchange-rules';
import { joinUnderRoot } from '../../core/static/containment';
import { pathBelowPrefix, resolveRequestPath } from '../../core/static/request-path';
import type { ProxConfig } from '../../config/model';
import type { InboundRequest } from '../../ports/http-server';
import type { ExplainInput } from './explain-request';
import { inboundRequestOf } from './explain-request';
import { compileOffline, frozenClock, type TrustPredicateFactory } from './offline-compile';

/** Exit codes of `prox explain`: CI asserts that a URL is routed. */
export const EXPLAIN_EXIT = { matched: 0, error: 2, noRoute: 3 } as const;

/** Stands in for the id prox generates when the client sends none. */
const GENERATED_ID = '<generated-request-id>';

export interface HeaderChange {
  readonly name: string;
  readonly value: string;
}

export interface HeaderEdits {
  readonly added: readonly HeaderChange[];
  readonly removed: readonly HeaderChange[];
  /** The whole list as sent, flat pairs turned into `name: value`. */
  readonly final: readonly string[];
}

export interface LosingRoute {
  readonly key: string;
  readonly reason: string;
}

export interface ForwardExplanation {
  readonly kind: 'forward';
  readonly pathAfterRewrite: string;
  readonly upstreamUrl: string;
  readonly strategy: string;
  readonly backends: readonly { readonly url: string; readonly weight: number }[];
  /** The backend this request goes to: certain for hash strategies, the first pick otherwise. */
  readonly backend: string;
  readonly hashKey: string | null;
  readonly backendReason: string;
  readonly timeoutSecs: number;
  readonly connectTimeoutSecs: number;
  readonly retries: { readonly attempts: number; readonly on: readonly (string | number)[] };
  readonly activeHealthCheck: boolean;
  readonly upstreamHeaders: HeaderEdits;
  /** The head sent to the client for an upstream 200 without headers: what prox adds and removes. */
  readonly clientHeaders: HeaderEdits;
  readonly requestBodyReplaced: { readonly contentType: string; readonly bytes: number } | null;
  readonly responseBodyReplacedOn200: { readonly contentType: string; readonly bytes: number } | null;
  readonly errorPage502: { readonly contentType: string; readonly body: string; readonly configured: boolean };
}

export interface Explanation {
  readonly request: { readonly method: string; readonly host: string; readonly path: string; readonly query: string; readonly clientIp: string };
  readonly matched: boolean;
  /** The path routing sees: dot segments removed. */
  readonly routingPath: string;
  readonly route: { readonly key: string; readonly type: string } | null;
  readonly alsoMatched: readonly LosingRoute[];
  readonly admin: boolean;
  readonly rateLimit: { readonly key: string | null; readonly rule: string; readonly mode: string; readonly missingKey: string | null } | null;
  readonly action:
    | ForwardExplanation
    | { readonly kind: 'redirect'; readonly status: number; readonly location: string }
    | { readonly kind: 'static'; readonly root: string; readonly file: string | null; readonly refusal: string | null }
    | { readonly kind: 'none'; readonly status: number; readonly body: string }
    | null;
}

/**
 * What prox would do with one request under `config`, from the same compiled config and the same
 * functions the pipeline runs (RouteTable.match, replacePrefix, hashKeyOf, RoutePool.select,
 * buildUpstreamRequestHeaders, ExchangeRules, errorAnswer): nothing here decides a route itself.
 */
export function explainRequest(config: ProxConfig, input: ExplainInput, trustPredicate: TrustPredicateFactory, nowMs: number): Explanation {
  const clock = frozenClock(nowMs);
  const compiled = compileOffline(config, trustPredicate, clock);
  const request = inboundRequestOf(input);
  const path = removeDotSegments(request.path);
  const summary = { method: request.method, host: request.hostname, path: request.path, query: request.query, clientIp: request.remoteAddress };
  const adminPrefix = config.admin.publicPathPrefix;
  if (adminPrefix !== null && (path === adminPrefix || path.startsWith(adminPrefix + '/'))) {
    return { request: summary, matched: true, routingPath: path, route: null, alsoMatched: [], admin: true, rateLimit: null, action: null };
  }
  const route = compiled.routes.match(request.hostname, path);
  if (route === null) {
    const answer = errorAnswer(404, 'no_route', null, compiled.errorPages);
    return { request: summary, matched: false, routingPath: path, route: null, alsoMatched: [], admin: false, rateLimit: null, action: { kind: 'none', status: 404, body: answer.body } };
  }
  const requestId = requestIdOf(request, config.requestIdHeader);
  return {
    request: summary,
    matched: true,
    routingPath: path,
    route: { key: route.key, type: config.routes.find((r) => r.key === route.key)?.type ?? route.kind },
    alsoMatched: losingRoutes(compiled, route, request.hostname, path),
    admin: false,
    rateLimit: explainRateLimit(route, request),
    action: explainAction(compiled, route, request, path, requestId, clock),
  };
}

function requestIdOf(request: InboundRequest, header: string): string {
  for (let i = 0; i < request.headers.length; i += 2) if (request.headers[i] === header && request.headers[i + 1] !== '') return request.headers[i + 1];
  return GENERATED_ID;
}

/** Routes whose host and prefix also fit the request, each with the precedence rule that beat it. */
function losingRoutes(compiled: CompiledConfig, winner: CompiledRoute, hostname: string, path: string): LosingRoute[] {
  const losers: LosingRoute[] = [];
  for (const route of compiled.routes.all()) {
    if (route === winner || !hostFits(route.host, hostname) || !isUnderPrefix(path, route.pathPrefix)) continue;
    losers.push({ key: route.key, reason: whyLost(winner, route) });
  }
  return losers;
}

function hostFits(host: string | null, hostname: string): boolean {
  if (host === null) return true;
  if (host.startsWith('*.')) return hostname.length > host.length - 1 && hostname.endsWith(host.slice(1));
  return host === hostname;
}

function hostRank(host: string | null): number {
  return host === null ? 0 : host.startsWith('*.') ? 1 : 2;
}

function whyLost(winner: CompiledRoute, loser: CompiledRoute): string {
  const w = hostRank(winner.host);
  const l = hostRank(loser.host);
  if (w === 2 && l < 2) return `exact host "${winner.host}" beats ${l === 1 ? `wildcard "${loser.host}"` : 'host-less routes'}`;
  if (w === 1 && l === 0) return `wildcard host "${winner.host}" beats host-less routes`;
  if (w === 1 && l === 1 && winner.host !== loser.host) return `more specific wildcard "${winner.host}" beats "${loser.host}"`;
  if (winner.pathPrefix.length > loser.pathPrefix.length) return `longer prefix "${winner.pathPrefix}" beats "${loser.pathPrefix}"`;
  return `same host and prefix as "${winner.key}", which is declared first: this route never matches`;
}

function explainRateLimit(route: CompiledRoute, request: InboundRequest): Explanation['rateLimit'] {
  const limit = route.rateLimit;
  if (limit === null) return null;
  const key = limit.keyOf(request);
  return {
    key,
    rule: `${limit.policy} by ${limit.by}`,
    mode: limit.shadow ? 'shadow (counted, never refused)' : 'enforce',
    missingKey: key !== null ? null : limit.allowsMissingKey ? 'header missing: served without limit (on_missing_key: allow)' : `header missing: refused with ${limit.statusCode} (on_missing_key: deny)`,
  };
}

function explainAction(compiled: CompiledConfig, route: CompiledRoute, request: InboundRequest, path: string, requestId: string, clock: ReturnType<typeof frozenClock>): Explanation['action'] {
  switch (route.kind) {
    case 'redirect':
      return { kind: 'redirect', status: route.status, location: route.headers[1] };
    case 'static':
      return explainStatic(route, path);
    case 'forward':
      return explainForward(compiled, route, request, path, requestId, clock);
  }
}

function explainStatic(route: StaticFilesRoute, path: string): Explanation['action'] {
  const resolved = resolveRequestPath(pathBelowPrefix(path, route.pathPrefix), route.files.allowDotfiles);
  if (!resolved.ok) return { kind: 'static', root: route.files.root, file: null, refusal: `${resolved.refusal} (${resolved.refusal === 'malformed' ? 400 : 404})` };
  const file = joinUnderRoot(route.files.root, resolved.segments);
  const target = resolved.directoryForm || resolved.segments.length === 0 ? `${file} (directory: index ${route.files.index.join(', ') || 'none'})` : file;
  return { kind: 'static', root: route.files.root, file: target, refusal: null };
}

function explainForward(compiled: CompiledConfig, route: ForwardRoute, request: InboundRequest, path: string, requestId: string, clock: ReturnType<typeof frozenClock>): ForwardExplanation {
  const rewritten = route.pathRewrite === null ? path : replacePrefix(path, route.pathPrefix, route.pathRewrite);
  const pathAndQuery = request.query.length === 0 ? rewritten : rewritten + '?' + request.query;
  const hashKey = route.hashKey === null ? null : hashKeyOf(route.hashKey, route.strategy, request);
  const index = route.pool.select(hashKey, clock.nowMs(), null);
  const member = route.pool.members[Math.max(index, 0)];
  const target = member.target;
  const rules = route.rules === null ? null : new ExchangeRules(route.rules, request, path, requestId, clock);
  const idHeader = compiled.config.requestIdHeader;

  const upstream = buildUpstreamRequestHeaders(request, target.authority, route.policy, { header: idHeader, value: requestId });
  rules?.editUpstreamHeaders(upstream);

  const answerHeaders = [idHeader, requestId];
  const head = buildClientResponseHead([], idHeader);
  for (const header of answerHeaders) head.headers.push(header);
  const replacement = rules === null ? null : rules.responseBodyFor(200, []);
  rules?.editClientHeaders(head.headers, 200, [], replacement);

  const failure = errorAnswer(502, 'bad_gateway', answerHeaders, route.errorPages);
  const failureReplacement = rules === null ? null : rules.responseBodyFor(502, failure.headers);
  const page = route.errorPages.pageFor(502);
  return {
    kind: 'forward',
    pathAfterRewrite: rewritten,
    upstreamUrl: target.origin + target.basePath + pathAndQuery,
    strategy: route.strategy,
    backends: route.pool.members.map((m) => ({ url: m.target.url, weight: m.weight })),
    backend: target.url,
    hashKey,
    backendReason: backendReason(route, hashKey),
    timeoutSecs: route.timeoutMs / 1000,
    connectTimeoutSecs: route.connectTimeoutMs / 1000,
    retries: { attempts: route.retries.attempts, on: route.retries.on },
    activeHealthCheck: route.pool.members.some((m) => m.monitor !== null),
    upstreamHeaders: headerEdits(request.headers, upstream),
    clientHeaders: headerEdits([], head.headers),
    requestBodyReplaced: rules?.requestBody ? { contentType: rules.requestBody.contentType, bytes: rules.requestBody.bytes.length } : null,
    responseBodyReplacedOn200: replacement === null ? null : { contentType: replacement.contentType, bytes: replacement.bytes.length },
    errorPage502:
      failureReplacement !== null
        ? { contentType: failureReplacement.contentType, body: new TextDecoder().decode(failureReplacement.bytes), configured: true }
        : { contentType: failure.headers[1], body: failure.body, configured: page !== undefined },
  };
}

function backendReason(route: ForwardRoute, hashKey: string | null): string {
  const count = route.pool.members.length;
  if (count === 1) return 'the only backend';
  if (route.hashKey !== null) {
    return hashKey === null ? `no hash key in this request (${route.hashKey.by}${route.hashKey.name ? ` ${route.hashKey.name}` : ''}): a random backend each time` : `hash of key "${hashKey}" (stable while the backend set and health are unchanged)`;
  }
  return `first pick of ${route.strategy} among ${count} backends, all healthy; later requests go elsewhere`;
}

/** Differences between two flat header lists: which `name: value` pairs appear only in one. */
function headerEdits(before: readonly string[], after: readonly string[]): HeaderEdits {
  const pairs = (list: readonly string[]): string[] => {
    const out: string[] = [];
    for (let i = 0; i + 1 < list.length; i += 2) out.push(`${list[i]}\u0000${list[i + 1]}`);
    return out;
  };
  const from = pairs(before);
  const to = pairs(after);
  const split = (pair: string): HeaderChange => {
    const cut = pair.indexOf('\u0000');
    return { name: pair.slice(0, cut), value: pair.slice(cut + 1) };
  };
  return {
    added: to.filter((p) => !from.includes(p)).map(split),
    removed: from.filter((p) => !to.includes(p)).map(split),
    final: to.map((p) => p.replace('\u0000', ': ')),
  };
}
