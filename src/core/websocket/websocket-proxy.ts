import type { Clock, Timer } from '../../ports/clock';
import type { HttpExchange } from '../../ports/http-server';
import type { RequestObserver, RequestRecord } from '../../ports/request-observer';
import type { UpstreamClient, UpstreamFailure, UpstreamRequest } from '../../ports/upstream-client';
import type { WebSocketCloser, WebSocketDirection, WebSocketEvents, WebSocketSession, WebSocketUpgrade } from '../../ports/websocket';
import type { BackendLoad } from '../backends/pool-member';
import { AttemptOutcome } from '../backends/route-pool';
import type { CompiledConfig, ForwardRoute } from '../compiled-route';
import { errorAnswer, type ErrorCode } from '../error-responses';
import { FAILURES } from '../forwarding/proxied-request';
import { buildUpstreamRequestHeaders } from '../forwarding/request-headers';
import type { ExchangeRules } from '../rules/exchange-rules';

/** What a WebSocketProxy reports to the pipeline. */
export interface WebSocketCompletion {
  /** The handshake is decided (answered, refused, failed or the 101 went out): HTTP drain no longer waits for it. */
  handshakeSettled(proxy: WebSocketProxy): void;
  /** The session ended, or the upgrade never became one; the record is complete. Called once, last. */
  webSocketFinished(proxy: WebSocketProxy, record: RequestRecord): void;
  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest, willRetry: boolean): void;
}

export interface WebSocketContext {
  readonly upstreams: UpstreamClient;
  readonly clock: Clock;
  readonly observer: RequestObserver;
  readonly completion: WebSocketCompletion;
}

const enum Phase {
  Idle,
  Handshake,
  Open,
  Over,
}

/**
 * One WebSocket upgrade on a forward route: Origin allow-list, backend choice, the upgrade request
 * (X-Forwarded-*, request id, request_headers rules), then the session the engine runs, observed
 * message by message. Not retried: an upgrade is answered by the first backend chosen.
 */
export class WebSocketProxy implements WebSocketEvents {
  private phase = Phase.Idle;
  private member = -1;
  private trial = false;
  private session: WebSocketSession | null = null;
  private request: UpstreamRequest | null = null;
  private attemptStartedAt = 0;
  /** The backend's load while the session runs (counted as a connection by least_connections). */
  private sessionLoad: BackendLoad | null = null;
  /** Set while the session's route or backend is gone after a reload: closes it with 1001. */
  private retirement: Timer | null = null;
  private readonly stats = { messagesIn: 0, messagesOut: 0, bytesIn: 0, bytesOut: 0 };

  constructor(
    private readonly exchange: HttpExchange,
    private readonly upgrade: WebSocketUpgrade,
    private readonly route: ForwardRoute,
    private readonly pathAndQuery: string,
    private readonly hashKey: string | null,
    private readonly context: WebSocketContext,
    private readonly record: RequestRecord,
    private readonly answerHeaders: readonly string[],
    private readonly rules: ExchangeRules | null,
  ) {}

  start(): void {
    this.phase = Phase.Handshake;
    const request = this.exchange.request;
    const settings = this.route.webSocket;
    if (settings.allowedOrigins !== null) {
      const origin = headerValue(request.headers, 'origin');
      if (origin === null || !settings.allowedOrigins.includes(origin.toLowerCase())) return this.answer(403, 'forbidden_origin');
    }
    const now = this.context.clock.monotonicMs();
    const pool = this.route.pool;
    const index = pool.select(this.hashKey, now, null);
    if (index < 0) return this.answer(503, 'service_unavailable', ['retry-after', String(pool.retryAfterSecs(now))]);
    this.member = index;
    this.trial = pool.begin(index, now);
    this.attemptStartedAt = now;
    const target = pool.members[index].target;
    this.record.backend = target.url;
    const headers = buildUpstreamRequestHeaders(request, target.authority, this.route.policy, { header: this.answerHeaders[0], value: this.answerHeaders[1] });
    this.rules?.editUpstreamHeaders(headers);
    this.request = {
      origin: target.origin,
      poolKey: target.poolKey,
      tls: target.tls,
      method: 'GET',
      pathAndQuery: target.basePath + this.pathAndQuery,
      headers,
      body: null,
      connectTimeoutMs: this.route.connectTimeoutMs,
      headersTimeoutMs: this.route.timeoutMs,
      bodyTimeoutMs: this.route.timeoutMs,
    };
    this.session = this.upgrade.proxy(
      { upstream: this.request, answerHeaders: this.answerHeaders, limits: { maxMessageBytes: settings.maxMessageBytes, idleTimeoutMs: settings.idleTimeoutSecs * 1000 } },
      this.context.upstreams,
      this,
    );
  }

  /** Close the session (or, during the handshake, the session it becomes) with `code`. */
  close(code: number, reason: string): void {
    if (this.phase === Phase.Open || this.phase === Phase.Handshake) this.session?.close(code, reason);
  }

  /**
   * After a reload: a session whose route (same key) or backend (same URL on that route) is gone
   * is closed with 1001 once its route's `reload_grace_secs` have passed; one whose route and
   * backend are back by then (a later reload) keeps running.
   */
  reviewAfterReload(routed: RoutedBackends): void {
    if (this.phase !== Phase.Open && this.phase !== Phase.Handshake) return;
    const still = this.record.backend !== null && routed.has(routedBackendKey(this.route.key, this.record.backend));
    if (still) {
      this.retirement?.cancel();
      this.retirement = null;
    } else if (this.retirement === null) {
      this.retirement = this.context.clock.setTimer(this.route.webSocket.reloadGraceSecs * 1000, () => {
        this.retirement = null;
        this.close(1001, 'route changed by reload');
      });
    }
  }

  handshakeFailed(failure: UpstreamFailure): void {
    if (this.phase !== Phase.Handshake) return;
    this.finishAttempt(AttemptOutcome.TransportFailure, failure.kind === 'connect_refused' || failure.kind === 'connect_timeout' ? 'connect_error' : 'reset');
    this.context.completion.upstreamFailed(failure, this.request!, false);
    const handling = FAILURES[failure.kind];
    this.answer(handling.status, handling.code);
  }

  refused(status: number): void {
    if (this.phase !== Phase.Handshake) return;
    this.finishAttempt(status >= 500 ? AttemptOutcome.ServerError : AttemptOutcome.Success, status >= 500 ? 'http_5xx' : 'success');
    this.record.status = status;
    this.settle(null);
  }

  clientLeft(): void {
    if (this.phase !== Phase.Handshake) return;
    // Not the backend's fault: the attempt ends neutral, and the request is over (not left in flight).
    this.finishAttempt(AttemptOutcome.Neutral, 'cancelled');
    this.settle('client_gone');
  }

  opened(): void {
    if (this.phase !== Phase.Handshake) return;
    this.sessionLoad = this.route.pool.members[this.member].load;
    this.sessionLoad.webSocketSessions++;
    this.finishAttempt(AttemptOutcome.Success, 'success');
    this.phase = Phase.Open;
    this.record.status = 101;
    this.record.webSocket = { messagesIn: 0, messagesOut: 0, closeCode: 1006, closedBy: 'proxy' };
    this.context.completion.handshakeSettled(this);
    this.context.observer.webSocketOpened?.(this.route.key);
  }

  message(direction: WebSocketDirection, bytes: number): void {
    if (this.phase !== Phase.Open) return;
    if (direction === 'client_to_upstream') {
      this.stats.messagesIn++;
      this.stats.bytesIn += bytes;
    } else {
      this.stats.messagesOut++;
      this.stats.bytesOut += bytes;
    }
    this.context.observer.webSocketMessage?.(this.route.key, direction, bytes);
  }

  closed(code: number, by: WebSocketCloser): void {
    if (this.phase !== Phase.Open) return;
    this.phase = Phase.Over;
    this.endRetirement();
    if (this.sessionLoad !== null) this.sessionLoad.webSocketSessions--;
    const record = this.record;
    record.webSocket = { messagesIn: this.stats.messagesIn, messagesOut: this.stats.messagesOut, closeCode: code, closedBy: by };
    record.bytesIn = this.stats.bytesIn;
    record.bytesOut = this.stats.bytesOut;
    record.durationMs = this.context.clock.monotonicMs() - record.startedAtMs;
    this.context.observer.webSocketClosed?.(this.route.key, code);
    this.context.completion.webSocketFinished(this, record);
  }

  private answer(status: number, code: ErrorCode, extra: readonly string[] = []): void {
    this.record.status = status;
    const answer = errorAnswer(status, code, [...extra, ...this.answerHeaders], this.route.errorPages);
    if (this.rules === null) this.exchange.respond(status, answer.headers, answer.body);
    else this.rules.respondLocally(this.exchange, status, answer.headers, answer.body);
    this.settle(code);
  }

  /** The upgrade ended without a session: an ordinary HTTP answer. */
  private settle(errorCode: string | null): void {
    this.phase = Phase.Over;
    this.endRetirement();
    this.record.errorCode = errorCode;
    this.record.bytesIn = this.exchange.bytesReceived;
    this.record.bytesOut = this.exchange.bytesSent;
    this.record.durationMs = this.context.clock.monotonicMs() - this.record.startedAtMs;
    this.context.completion.handshakeSettled(this);
    this.context.completion.webSocketFinished(this, this.record);
  }

  private finishAttempt(outcome: AttemptOutcome, observed: 'success' | 'http_5xx' | 'connect_error' | 'reset' | 'cancelled'): void {
    if (this.member < 0) return;
    const now = this.context.clock.monotonicMs();
    this.route.pool.finish(this.member, this.trial, outcome, now);
    this.record.upstreamMs = now - this.attemptStartedAt;
    this.context.observer.upstreamAttempted(this.route.key, this.route.pool.members[this.member].target.url, observed, now - this.attemptStartedAt);
    this.member = -1;
  }

  private endRetirement(): void {
    this.retirement?.cancel();
    this.retirement = null;
  }
}

/** Route key and backend URL pairs a config routes to: what sessions need to survive a reload. */
export type RoutedBackends = ReadonlySet<string>;

export function routedBackends(compiled: CompiledConfig): RoutedBackends {
  const pairs = new Set<string>();
  for (const route of compiled.routes.all()) {
    if (route.kind === 'forward') for (const member of route.pool.members) pairs.add(routedBackendKey(route.key, member.target.url));
  }
  return pairs;
}

function routedBackendKey(routeKey: string, backendUrl: string): string {
  return routeKey + '\n' + backendUrl;
}

function headerValue(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return null;
}
