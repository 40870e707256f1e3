import type { RetryCondition } from '../../config/model';
import type { BodySource } from '../../ports/body';
import type { Clock, Timer } from '../../ports/clock';
import type { HttpExchange } from '../../ports/http-server';
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
  exchangeFinished(): void;
  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest, willRetry: boolean): void;
}

export interface ForwardingContext {
  readonly upstreams: UpstreamClient;
  readonly clock: Clock;
  readonly completion: ExchangeCompletion;
}

const FAILURE_RESPONSES: Record<UpstreamFailureKind, readonly [number, ErrorCode]> = {
  connect_refused: [502, 'bad_gateway'],
  connect_timeout: [504, 'gateway_timeout'],
  response_timeout: [504, 'gateway_timeout'],
  reset: [502, 'bad_gateway'],
  protocol: [502, 'bad_gateway'],
  request_body: [400, 'bad_request'],
  request_too_large: [413, 'payload_too_large'],
  other: [502, 'bad_gateway'],
};

/** Which retry condition a failure is; null for failures that are never retried. */
const RETRY_CONDITIONS: Record<UpstreamFailureKind, RetryCondition | null> = {
  connect_refused: 'connect_error',
  connect_timeout: 'connect_error',
  // The header timeout of an attempt is the rest of the route's time budget: nothing is left.
  response_timeout: null,
  reset: 'reset',
  protocol: 'reset',
  other: 'reset',
  request_body: null,
  request_too_large: null,
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
  private readonly resumeUpstream = (): void => {
    if (!this.settled) this.flow?.resume();
  };

  constructor(
    private readonly exchange: HttpExchange,
    private readonly route: ForwardRoute,
    private readonly pathAndQuery: string,
    private readonly hashKey: string | null,
    private readonly context: ForwardingContext,
  ) {
    this.retriesLeft = route.retries.attempts;
    const body = exchange.request.body;
    this.replayable = body !== null && this.retriesLeft > 0 ? new ReplayableBody(body, route.retries.bufferBytes) : null;
    this.startedAt = context.clock.monotonicMs();
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
    const remainingMs = this.route.timeoutMs - (now - this.startedAt);
    const request: UpstreamRequest = {
      origin: target.origin,
      method: this.exchange.request.method,
      pathAndQuery: target.basePath + this.pathAndQuery,
      headers: buildUpstreamRequestHeaders(this.exchange.request, target.authority, this.route.policy),
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
    if (status >= 502 && status <= 504 && this.mayRetry(status as RetryCondition, true)) {
      this.cancelTimer();
      this.finishAttempt(this.headOutcome);
      this.call?.abort();
      this.lastFailure = null;
      this.lastRetriedStatus = status;
      this.retryLater();
      return;
    }
    this.cancelTimer();
    this.flow = flow;
    this.responseStarted = true;
    const head = buildClientResponseHead(headers);
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
    this.finishAttempt(this.headOutcome);
    this.settle();
    this.exchange.end();
  }

  onUpstreamError(failure: UpstreamFailure): void {
    if (this.settled) return;
    this.cancelTimer();
    const clientsFault = failure.kind === 'request_body' || failure.kind === 'request_too_large';
    this.finishAttempt(clientsFault ? AttemptOutcome.Neutral : AttemptOutcome.TransportFailure);
    if (this.responseStarted) {
      this.settle();
      this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
      // Headers are out: the only honest signal left is to break the connection.
      this.exchange.abort();
      return;
    }
    const condition = RETRY_CONDITIONS[failure.kind];
    const retry = condition !== null && this.mayRetry(condition, failure.requestSent);
    this.context.completion.upstreamFailed(failure, this.currentRequest!, retry);
    if (retry) {
      this.lastFailure = failure;
      this.lastRetriedStatus = 0;
      this.retryLater();
      return;
    }
    this.settle();
    const [status, code] = FAILURE_RESPONSES[failure.kind];
    respondWithError(this.exchange, status, code);
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
    (this.tried ??= []).push(this.member);
    this.call = null;
    this.replayable?.endAttempt();
    const backoff = this.route.retries.backoffMs;
    // Never re-enter the upstream client from inside its own callback.
    this.timer = this.context.clock.setTimer(backoff, () => this.attempt(), true);
  }

  /** No backend may take the request: the previous attempt's error, or 503 with Retry-After. */
  private failWithoutBackend(now: number): void {
    this.settle();
    if (this.lastFailure !== null) {
      const [status, code] = FAILURE_RESPONSES[this.lastFailure.kind];
      return respondWithError(this.exchange, status, code);
    }
    if (this.lastRetriedStatus !== 0) {
      const status = this.lastRetriedStatus;
      return respondWithError(this.exchange, status, STATUS_CODES[status] ?? 'bad_gateway');
    }
    const retryAfter = String(this.route.pool.retryAfterSecs(now));
    this.exchange.respond(503, [...UNAVAILABLE_HEADERS, retryAfter], errorBody('service_unavailable', 503));
  }

  private onDeadline(): void {
    this.timer = null;
    if (this.settled || this.responseStarted) return;
    this.call?.abort();
    this.finishAttempt(AttemptOutcome.TransportFailure);
    this.settle();
    const failure: UpstreamFailure = { kind: 'response_timeout', requestSent: true, detail: `no response head within ${this.route.timeoutMs} ms` };
    this.context.completion.upstreamFailed(failure, this.currentRequest!, false);
    respondWithError(this.exchange, 504, 'gateway_timeout');
  }

  private onClientGone(): void {
    if (this.settled) return;
    this.cancelTimer();
    this.finishAttempt(AttemptOutcome.Neutral);
    this.settle();
    this.call?.abort();
  }

  private finishAttempt(outcome: AttemptOutcome): void {
    if (!this.attemptOpen) return;
    this.attemptOpen = false;
    this.route.pool.finish(this.member, this.trial, outcome, this.context.clock.monotonicMs());
  }

  private cancelTimer(): void {
    this.timer?.cancel();
    this.timer = null;
  }

  private settle(): void {
    this.settled = true;
    this.context.completion.exchangeFinished();
  }
}
