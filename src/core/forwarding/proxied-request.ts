import type { RetryCondition } from '../../config/model';
import type { BodySource } from '../../ports/body';
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
import { errorBody, respondWithError } from '../error-responses';
import { ReplayableBody } from './replayable-body';
import { buildUpstreamRequestHeaders } from './request-headers';
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

const FAILURES: Record<UpstreamFailureKind, FailureHandling> = {
  connect_refused: { status: 502, code: 'bad_gateway', retryAs: 'connect_error', outcome: 'connect_error', backendVerdict: AttemptOutcome.TransportFailure },
  connect_timeout: { status: 504, code: 'gateway_timeout', retryAs: 'connect_error', outcome: 'connect_error', backendVerdict: AttemptOutcome.TransportFailure },
  // The header timeout of an attempt is the rest of the route's time budget: nothing is left to retry in.
  response_timeout: { status: 504, code: 'gateway_timeout', retryAs: null, outcome: 'timeout', backendVerdict: AttemptOutcome.TransportFailure },
  reset: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'reset', backendVerdict: AttemptOutcome.TransportFailure },
  protocol: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'protocol', backendVerdict: AttemptOutcome.TransportFailure },
  other: { status: 502, code: 'bad_gateway', retryAs: 'reset', outcome: 'reset', backendVerdict: AttemptOutcome.TransportFailure },
  request_body: { status: 400, code: 'bad_request', retryAs: null, outcome: 'cancelled', backendVerdict: AttemptOutcome.Neutral },
  request_too_large: { status: 413, code: 'payload_too_large', retryAs: null, outcome: 'cancelled', backendVerdict: AttemptOutcome.Neutral },
};

/** Methods whose request may be sent twice without changing the outcome (RFC 9110 §9.2.2). */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

const STATUS_CODES: Readonly<Record<number, ErrorCode>> = {
  502: 'bad_gateway',
  503: 'service_unavailable',
  504: 'gateway_timeout',
};

const UNAVAILABLE_HEADERS = ['content-type', 'application/json', 'retry-after'];

/**
 * One client request carried to a route's backends: pick a backend, send, stream the response
 * back with flow control both ways, and retry on another backend when the route allows it.
 *
 * Retries happen only before any response byte reached the client, only for the route's
 * conditions, only for idempotent methods once the request was sent, only while the body can
 * be replayed whole, and never past the route's overall `timeout_secs`.
 */
export class ProxiedRequest implements UpstreamResponseHandler {
  private call: UpstreamCall | null = null;
  private flow: UpstreamFlow | null = null;
  private responseStarted = false;
  private settled = false;
  private timer: Timer | null = null;

  private member = -1;
  private trial = false;
  private attemptOpen = false;
  private headOutcome = AttemptOutcome.Success;
  private tried: number[] | null = null;
  private retriesLeft: number;
  private lastFailure: UpstreamFailure | null = null;
  private currentRequest: UpstreamRequest | null = null;
  /** 5xx status of an attempt dropped for a retry, answered if no backend is left for it. */
  private lastRetriedStatus = 0;

  private readonly replayable: ReplayableBody | null;
  private readonly startedAt: number;
  private attemptStartedAt = 0;
  private readonly resumeUpstream = (): void => {
    if (!this.settled) this.flow?.resume();
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
  ) {
    this.retriesLeft = route.retries.attempts;
    const body = exchange.request.body;
    this.replayable = body !== null && this.retriesLeft > 0 ? new ReplayableBody(body, route.retries.bufferBytes) : null;
    this.startedAt = record.startedAtMs;
  }

  start(): void {
    this.exchange.onClientGone(() => this.onClientGone());
    // The client may already be gone (the callback then ran at once): send nothing upstream.
    if (this.settled) return;
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
    this.attemptOpen = true;
    this.headOutcome = AttemptOutcome.Success;
    const target = pool.members[index].target;
    this.record.backend = target.url;
    this.attemptStartedAt = now;
    const remainingMs = this.route.timeoutMs - (now - this.startedAt);
    const request: UpstreamRequest = {
      origin: target.origin,
      method: this.exchange.request.method,
      pathAndQuery: target.basePath + this.pathAndQuery,
      headers: buildUpstreamRequestHeaders(this.exchange.request, target.authority, this.route.policy, {
        header: this.answerHeaders[0],
        value: this.answerHeaders[1],
      }),
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
    if (this.replayable !== null) return this.replayable.nextAttempt();
    return this.exchange.request.body;
  }

  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void {
    if (this.settled) return;
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
    this.responseStarted = true;
    this.record.status = status;
    const head = buildClientResponseHead(headers, this.answerHeaders[0]);
    for (const header of this.answerHeaders) head.headers.push(header);
    this.exchange.startResponse(status, head.headers, head.contentLength);
  }

  onUpstreamData(chunk: Uint8Array): boolean {
    if (this.settled) return false;
    if (this.exchange.write(chunk)) return true;
    this.exchange.onWritable(this.resumeUpstream);
    return false;
  }

  onUpstreamEnd(): void {
    if (this.settled) return;
    this.settled = true;
    this.finishAttempt(this.headOutcome, this.headOutcome === AttemptOutcome.ServerError ? 'http_5xx' : 'success');
    this.exchange.end();
    this.complete(null);
  }

  onUpstreamError(failure: UpstreamFailure): void {
    if (this.settled) return;
    this.cancelTimer();
    const handling = FAILURES[failure.kind];
    if (this.responseStarted) {
      this.settled = true;
      this.finishAttempt(handling.backendVerdict, handling.outcome);
      this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
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
    this.settled = true;
    this.record.status = 503;
    const retryAfter = String(this.route.pool.retryAfterSecs(now));
    this.exchange.respond(503, [...UNAVAILABLE_HEADERS, retryAfter, ...this.answerHeaders], errorBody('service_unavailable', 503));
    this.complete('service_unavailable');
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.settled || this.responseStarted) return;
    this.call?.abort();
    this.finishAttempt(AttemptOutcome.TransportFailure, 'timeout');
    const failure: UpstreamFailure = { kind: 'response_timeout', requestSent: true, detail: `no response head within ${this.route.timeoutMs} ms` };
    this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
    this.answerError(504, 'gateway_timeout');
  }

  private onClientGone(): void {
    if (this.settled) return;
    this.settled = true;
    this.cancelTimer();
    this.finishAttempt(AttemptOutcome.Neutral, 'cancelled');
    this.call?.abort();
    this.complete('client_gone');
  }

  private answerError(status: number, code: ErrorCode): void {
    this.settled = true;
    this.record.status = status;
    respondWithError(this.exchange, status, code, this.answerHeaders);
    this.complete(code);
  }

  private finishAttempt(outcome: AttemptOutcome, observed: UpstreamOutcome): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
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
