import type { RetryCondition } from '../model';
import type { BodySource } from '../../ports/body';
import { BodyTimeoutError, BodyTooLargeError } from '../../ports/body-errors';
import type { Clock, Timer } from '../../ports/clock';
import type { HttpExchange } from '../../ports/http-server';
import type { RequestObserver, RequestRecord, UpstreamOutcome } from '../../ports/request-observer';
import type {
  UpstreamCall,
  UpstreamClient,
  UpstreamFailure,
  UpstreamFailureKind,
  UpstreamFlow,
  UpstreamRequest,
  UpstreamResponseHandler,
} from '../../ports/upstream-client';
import { AttemptOutcome } from '../backends/route-pool';
import type { ForwardRoute } from '../compiled-route';
import type { ErrorCode } from '../error-responses';
import { errorAnswer } from '../error-responses';
import type { BodyReplacement } from '../rules/body-rules';
import { DiscardedBody, type DiscardedBodyOwner } from '../rules/discarded-body';
import type { ExchangeRules } from '../rules/exchange-rules';
import { FixedBody } from '../rules/fixed-body';
import { ReplayableBody } from './replayable-body';
import { buildUpstreamRequestHeaders } from './request-headers';
import { dropUpstreamCorsHeaders } from '../policies/cors';
import { buildClientResponseHead } from './response-headers';

/** Told when an exchange is over, whatever the outcome, exactly once. */
export interface ExchangeCompletion {
  /** The exchange is over (response complete, failed or client gone); called once, last. */
  exchangeFinished(exchange: HttpExchange, record: RequestRecord): void;
  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest, willRetry: boolean): void;
}

export interface ForwardingContext {
  readonly upstreams: UpstreamClient;
  readonly clock: Clock;
  readonly completion: ExchangeCompletion;
  readonly observer: RequestObserver;
}

/** Everything that follows from the kind of an upstream failure. */
interface FailureHandling {
  /** The answer when it is not retried and no response byte went out yet. */
  readonly status: number;
  readonly code: ErrorCode;
  /** The retry condition it matches; null for failures that are never retried. */
  readonly retryAs: RetryCondition | null;
  /** How the attempt is counted in metrics. */
  readonly outcome: UpstreamOutcome;
  /** How passive health and the breaker see it: the client's own failures say nothing of the backend. */
  readonly backendVerdict: AttemptOutcome;
}

/** How each upstream failure is answered, retried and counted; the WebSocket handshake answers from it too. */
export const FAILURES: Readonly<Record<UpstreamFailureKind, FailureHandling>> = {
  connect_refused: { status: 502, code: 'bad_gateway', retryAs: 'connect_error', outcome: 'connect_error', backendVerdict: AttemptOutcome.TransportFailure },
  connect_timeout: { status: 504, code: 'gateway_timeout', retryAs: 'connect_error', outcome: 'connect_error', backendVerdict: AttemptOutcome.TransportFailure },
  // The header timeout of an attempt is the rest of the route's time budget: nothing is left to retry in.
  response_timeout: { status: 504, code: 'gateway_timeout', retryAs: null, outcome: 'timeout', backendVerdict: AttemptOutcome.TransportFailure },
  reset: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'reset', backendVerdict: AttemptOutcome.TransportFailure },
  protocol: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'protocol', backendVerdict: AttemptOutcome.TransportFailure },
  // Nothing was sent: the handshake failed. Retried like a connect error (another backend may pass).
  tls: { status: 502, code: 'upstream_tls_error', retryAs: 'connect_error', outcome: 'tls', backendVerdict: AttemptOutcome.TransportFailure },
  other: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'reset', backendVerdict: AttemptOutcome.TransportFailure },
  request_body: { status: 400, code: 'bad_request', retryAs: null, outcome: 'cancelled', backendVerdict: AttemptOutcome.Neutral },
  request_too_large: { status: 413, code: 'payload_too_large', retryAs: null, outcome: 'cancelled', backendVerdict: AttemptOutcome.Neutral },
  request_body_timeout: { status: 408, code: 'request_timeout', retryAs: null, outcome: 'cancelled', backendVerdict: AttemptOutcome.Neutral },
};

/** Methods whose request may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};


/**
 * An upstream body that a response_body rule replaces is read and dropped up to this size, so
 * its connection goes back to the pool; a larger one, or one of unknown length, is cut at once.
 */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * Where a ProxiedRequest is. Transitions (anything not listed does not happen):
 *
 *   Idle ──start──▶ DiscardingClientBody   (a request_body rule: the client's body is read and dropped first)
 *   Idle ──start──▶ AwaitingHead           (an attempt is dispatched)
 *   DiscardingClientBody ──body dropped──▶ AwaitingHead
 *   AwaitingHead ──head, not retried──▶ Streaming, or DrainingForReplacement (a response_body rule)
 *   AwaitingHead ──retryable failure or 502-504──▶ BackingOff ──back-off over──▶ AwaitingHead
 *   Streaming / DrainingForReplacement ──upstream end or error──▶ Settled
 *   any phase but Settled ──client gone, error answer, 503 without a backend, deadline──▶ Settled
 *
 * An attempt is open (its backend owes the pool a verdict) exactly in AwaitingHead, Streaming
 * and DrainingForReplacement; `finishAttempt` gives that verdict before the phase moves on.
 * Settled is final: the completion was (or is being) reported, and every late callback is ignored.
 */
const enum Phase {
  /** Constructed; `start` not called yet. */
  Idle,
  /** A request_body replacement waits for the client's own body to be read and dropped. */
  DiscardingClientBody,
  /** An attempt is dispatched; no response head yet. */
  AwaitingHead,
  /** An attempt failed and another follows after the back-off timer. */
  BackingOff,
  /** The response head went to the client; the body streams with flow control. */
  Streaming,
  /** A response_body rule replaces the body: the upstream body is read and dropped first. */
  DrainingForReplacement,
  /** Over: answered, failed or the client left. */
  Settled,
}

/**
 * One client request carried to a route's backends: pick a backend, send, stream the response
 * back with flow control both ways, and retry on another backend when the route allows it.
 *
 * Retries happen only before any response byte reached the client, only for the route's
 * conditions, only for idempotent methods once the request was sent, only while the body can
 * be replayed whole, and never past the route's overall `timeout_secs`.
 */
export class ProxiedRequest implements UpstreamResponseHandler, DiscardedBodyOwner {
  private call: UpstreamCall | null = null;
  private flow: UpstreamFlow | null = null;
  private phase = Phase.Idle;
  private timer: Timer | null = null;

  /** The open attempt's pool member, and whether it is the breaker's half-open trial. */
  private member = -1;
  private trial = false;
  private headOutcome = AttemptOutcome.Success;
  private tried: number[] | null = null;
  private retriesLeft: number;
  private lastFailure: UpstreamFailure | null = null;
  private currentRequest: UpstreamRequest | null = null;
  /** 5xx status of an attempt dropped for a retry, answered if no backend is left for it. */
  private lastRetriedStatus = 0;
  /** A response_body replacement waiting for the upstream body it replaces to be drained. */
  private replacement: BodyReplacement | null = null;
  private replacementHeaders: string[] | null = null;

  private readonly replayable: ReplayableBody | null;
  private readonly startedAt: number;
  private attemptStartedAt = 0;
  private readonly resumeUpstream = (): void => {
    if (this.phase !== Phase.Settled) this.flow?.resume();
  };

  constructor(
    private readonly exchange: HttpExchange,
    private readonly route: ForwardRoute,
    private readonly pathAndQuery: string,
    private readonly hashKey: string | null,
    private readonly context: ForwardingContext,
    private readonly record: RequestRecord,
    /**
     * Flat `[name, value, ...]` headers added to every answer; the first pair is the request id
     * header, which also goes upstream.
     */
    private readonly answerHeaders: readonly string[],
    /** The route's header and body rules for this exchange; null when the route has none. */
    private readonly rules: ExchangeRules | null = null,
  ) {
    this.retriesLeft = route.retries.attempts;
    const body = exchange.request.body;
    const replacedBody = rules !== null && rules.requestBody !== null;
    this.replayable = body !== null && this.retriesLeft > 0 && !replacedBody ? new ReplayableBody(body, route.retries.bufferBytes) : null;
    this.startedAt = record.startedAtMs;
  }

  start(): void {
    this.exchange.onClientGone(() => this.onClientGone());
    // The client may already be gone (the callback then ran at once): send nothing upstream.
    if (this.phase === Phase.Settled) return;
    const body = this.exchange.request.body;
    if (body !== null && this.rules !== null && this.rules.requestBody !== null) {
      // The replacement goes upstream once the client's own body has been read and dropped,
      // within the route's time budget.
      this.phase = Phase.DiscardingClientBody;
      this.timer = this.context.clock.setTimer(this.route.timeoutMs, () => this.onClientBodyDeadline(), true);
      body.start(new DiscardedBody(this));
      return;
    }
    this.attempt();
  }

  private attempt(): void {
    this.timer = null;
    const clock = this.context.clock;
    const now = clock.monotonicMs();
    // The body may have outgrown the replay buffer during the back-off: never send part of it.
    if (this.tried !== null && this.replayable !== null && this.replayable.truncated) return this.failWithoutBackend(now);
    const pool = this.route.pool;
    const index = pool.select(this.hashKey, now, this.tried);
    if (index < 0) return this.failWithoutBackend(now);
    this.member = index;
    this.trial = pool.begin(index, now);
    this.phase = Phase.AwaitingHead;
    this.headOutcome = AttemptOutcome.Success;
    const target = pool.members[index].target;
    this.record.backend = target.url;
    this.attemptStartedAt = now;
    const remainingMs = this.route.timeoutMs - (now - this.startedAt);
    const headers = buildUpstreamRequestHeaders(this.exchange.request, target.authority, this.route.policy, {
      header: this.answerHeaders[0],
      value: this.answerHeaders[1],
    });
    this.rules?.editUpstreamHeaders(headers);
    const request: UpstreamRequest = {
      origin: target.origin,
      poolKey: target.poolKey,
      tls: target.tls,
      method: this.exchange.request.method,
      pathAndQuery: target.basePath + this.pathAndQuery,
      headers,
      body: this.bodyForAttempt(),
      connectTimeoutMs: this.route.connectTimeoutMs,
      headersTimeoutMs: remainingMs,
      bodyTimeoutMs: this.route.timeoutMs,
    };
    this.currentRequest = request;
    // Every attempt's head is bounded by what is left of the budget here: the upstream client's
    // own head timeout is coarse (undici's runs on a timer of about 1 s resolution).
    this.timer = clock.setTimer(remainingMs, () => this.onDeadline(), true);
    this.call = this.context.upstreams.dispatch(request, this);
  }

  private bodyForAttempt(): BodySource | null {
    if (this.rules !== null && this.rules.requestBody !== null) return new FixedBody(this.rules.requestBody.bytes);
    if (this.replayable !== null) return this.replayable.nextAttempt();
    return this.exchange.request.body;
  }

  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void {
    if (this.phase === Phase.Settled) return;
    this.headOutcome = status >= 500 ? AttemptOutcome.ServerError : AttemptOutcome.Success;
    this.record.upstreamMs = this.context.clock.monotonicMs() - this.attemptStartedAt;
    if (status >= 502 && status <= 504 && this.mayRetry(status as RetryCondition, true)) {
      this.cancelTimer();
      this.finishAttempt(this.headOutcome, 'http_5xx');
      this.call?.abort();
      this.lastFailure = null;
      this.lastRetriedStatus = status;
      this.retryLater();
      return;
    }
    this.cancelTimer();
    this.flow = flow;
    this.phase = Phase.Streaming;
    this.record.status = status;
    const head = buildClientResponseHead(headers, this.answerHeaders[0]);
    if (this.route.cors !== null) dropUpstreamCorsHeaders(head.headers);
    for (let i = 0; i < this.answerHeaders.length; i += 1) head.headers.push(this.answerHeaders[i]);
    if (this.rules !== null) {
      const replacement = this.rules.responseBodyFor(status, headers);
      this.rules.editClientHeaders(head.headers, status, headers, replacement);
      if (replacement !== null) return this.replaceResponseBody(head.headers, replacement, head.contentLength);
    }
    this.exchange.startResponse(status, head.headers, head.contentLength);
  }

  private replaceResponseBody(headers: string[], replacement: BodyReplacement, upstreamLength: number | null): void {
    this.phase = Phase.DrainingForReplacement;
    this.replacement = replacement;
    this.replacementHeaders = headers;
    const small = upstreamLength !== null && upstreamLength <= DRAIN_LIMIT_BYTES;
    // A HEAD response has no body whatever its Content-Length says.
    if (small || this.exchange.request.method === 'HEAD') return;
    this.call?.abort();
    this.sendReplacement();
  }

  private sendReplacement(): void {
    this.finishAttempt(this.headOutcome, this.headOutcome === AttemptOutcome.ServerError ? 'http_5xx' : 'success');
    this.phase = Phase.Settled;
    this.exchange.respond(this.record.status, this.replacementHeaders!, this.replacement!.bytes);
    this.complete(null);
  }

  onUpstreamData(chunk: Uint8Array): boolean {
    if (this.phase === Phase.Settled) return false;
    if (this.phase === Phase.DrainingForReplacement) return true;
    if (this.exchange.write(chunk)) return true;
    this.exchange.onWritable(this.resumeUpstream);
    return false;
  }

  onUpstreamEnd(): void {
    if (this.phase === Phase.Settled) return;
    if (this.phase === Phase.DrainingForReplacement) return this.sendReplacement();
    this.finishAttempt(this.headOutcome, this.headOutcome === AttemptOutcome.ServerError ? 'http_5xx' : 'success');
    this.phase = Phase.Settled;
    this.exchange.end();
    this.complete(null);
  }

  onUpstreamError(failure: UpstreamFailure): void {
    if (this.phase === Phase.Settled) return;
    this.cancelTimer();
    const handling = FAILURES[failure.kind];
    if (this.phase === Phase.Streaming || this.phase === Phase.DrainingForReplacement) {
      const draining = this.phase === Phase.DrainingForReplacement;
      this.finishAttempt(handling.backendVerdict, handling.outcome);
      this.phase = Phase.Settled;
      this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
      // The body being drained was going to be dropped anyway: the replacement is still whole.
      if (draining) return this.sendReplacement();
      // Headers are out: the only honest signal left is to break the connection.
      this.exchange.abort();
      this.complete('upstream_broken');
      return;
    }
    this.finishAttempt(handling.backendVerdict, handling.outcome);
    const retry = handling.retryAs !== null && this.mayRetry(handling.retryAs, failure.requestSent);
    this.context.completion.upstreamFailed(failure, this.currentRequest!, retry);
    if (retry) {
      this.lastFailure = failure;
      this.lastRetriedStatus = 0;
      this.retryLater();
      return;
    }
    this.answerError(handling.status, handling.code);
  }

  private mayRetry(condition: RetryCondition, requestSent: boolean): boolean {
    if (this.retriesLeft <= 0 || !this.route.retries.on.includes(condition)) return false;
    if (requestSent && !IDEMPOTENT_METHODS.has(this.exchange.request.method)) return false;
    if (this.replayable !== null && !this.replayable.replayable) return false;
    const elapsed = this.context.clock.monotonicMs() - this.startedAt;
    return elapsed + this.route.retries.backoffMs < this.route.timeoutMs;
  }

  private retryLater(): void {
    this.retriesLeft--;
    this.record.retries++;
    this.context.observer.retried(this.route.key);
    (this.tried ??= []).push(this.member);
    this.phase = Phase.BackingOff;
    this.call = null;
    this.replayable?.endAttempt();
    const backoff = this.route.retries.backoffMs;
    // Never re-enter the upstream client from inside its own callback.
    this.timer = this.context.clock.setTimer(backoff, () => this.attempt(), true);
  }

  /** No backend may take the request: the previous attempt's error, or 503 with Retry-After. */
  private failWithoutBackend(now: number): void {
    if (this.lastFailure !== null) {
      const handling = FAILURES[this.lastFailure.kind];
      return this.answerError(handling.status, handling.code);
    }
    if (this.lastRetriedStatus !== 0) {
      const status = this.lastRetriedStatus;
      return this.answerError(status, STATUS_CODES[status] ?? 'bad_gateway');
    }
    this.phase = Phase.Settled;
    this.record.status = 503;
    const retryAfter = String(this.route.pool.retryAfterSecs(now));
    this.answerLocally(503, 'service_unavailable', ['retry-after', retryAfter, ...this.answerHeaders]);
    this.complete('service_unavailable');
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.phase !== Phase.AwaitingHead) return;
    this.call?.abort();
    this.finishAttempt(AttemptOutcome.TransportFailure, 'timeout');
    const failure: UpstreamFailure = { kind: 'response_timeout', requestSent: true, detail: `no response head within ${this.route.timeoutMs} ms` };
    this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
    this.answerError(504, 'gateway_timeout');
  }

  private onClientGone(): void {
    if (this.phase === Phase.Settled) return;
    this.cancelTimer();
    this.finishAttempt(AttemptOutcome.Neutral, 'cancelled');
    this.phase = Phase.Settled;
    this.call?.abort();
    this.complete('client_gone');
  }

  private answerError(status: number, code: ErrorCode): void {
    this.phase = Phase.Settled;
    this.record.status = status;
    this.answerLocally(status, code, this.answerHeaders);
    this.complete(code);
  }

  /** prox's own error answer: the route's error page or the short JSON, through the response rules. */
  private answerLocally(status: number, code: ErrorCode, extraHeaders: readonly string[]): void {
    const answer = errorAnswer(status, code, extraHeaders, this.route.errorPages);
    if (this.rules === null) this.exchange.respond(status, answer.headers, answer.body);
    else this.rules.respondLocally(this.exchange, status, answer.headers, answer.body);
  }

  clientBodyDiscarded(): void {
    if (this.phase !== Phase.DiscardingClientBody) return;
    this.cancelTimer();
    this.attempt();
  }

  /** The client's body, discarded for a request_body replacement, broke the size limit (413) or stalled (408). */
  clientBodyFailed(error: Error): void {
    // A client that left is handled by onClientGone.
    if (this.phase !== Phase.DiscardingClientBody) return;
    if (error instanceof BodyTooLargeError) {
      this.cancelTimer();
      this.answerError(413, 'payload_too_large');
    } else if (error instanceof BodyTimeoutError) {
      this.cancelTimer();
      this.answerError(408, 'request_timeout');
    }
  }

  private onClientBodyDeadline(): void {
    this.timer = null;
    if (this.phase !== Phase.DiscardingClientBody) return;
    this.answerError(408, 'request_timeout');
  }

  /** Gives the open attempt's verdict to the pool and metrics; call before the phase moves on. */
  private finishAttempt(outcome: AttemptOutcome, observed: UpstreamOutcome): void {
    const phase = this.phase;
    if (phase !== Phase.AwaitingHead && phase !== Phase.Streaming && phase !== Phase.DrainingForReplacement) return;
    const now = this.context.clock.monotonicMs();
    this.route.pool.finish(this.member, this.trial, outcome, now);
    this.context.observer.upstreamAttempted(this.route.key, this.route.pool.members[this.member].target.url, observed, now - this.attemptStartedAt);
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  /** Called once, after the last thing written to the client. */
  private complete(errorCode: string | null): void {
    this.record.errorCode = errorCode;
    this.context.completion.exchangeFinished(this.exchange, this.record);
  }
}
