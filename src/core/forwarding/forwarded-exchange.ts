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
import type { ErrorCode } from '../error-responses';
import { respondWithError } from '../error-responses';
import { buildClientResponseHead } from './response-headers';

/** Told when an exchange is over, whatever the outcome, exactly once. */
export interface ExchangeCompletion {
  exchangeFinished(): void;
  upstreamFailed(failure: UpstreamFailure, request: UpstreamRequest): void;
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

/**
 * Carries one request to its upstream and the response back, with flow control both ways:
 * a slow client pauses the upstream body, and (inside the adapters) a slow upstream pauses the
 * client's request body. Fixed shape, no per-chunk allocation.
 */
export class ForwardedExchange implements UpstreamResponseHandler {
  private call: UpstreamCall | null = null;
  private flow: UpstreamFlow | null = null;
  private responseStarted = false;
  private settled = false;
  private readonly resumeUpstream = (): void => {
    if (!this.settled) this.flow?.resume();
  };

  constructor(
    private readonly exchange: HttpExchange,
    private readonly request: UpstreamRequest,
    private readonly completion: ExchangeCompletion,
  ) {}

  start(client: UpstreamClient): void {
    this.exchange.onClientGone(() => this.onClientGone());
    // The client may already be gone (the callback then ran at once): send nothing upstream.
    if (this.settled) return;
    this.call = client.dispatch(this.request, this);
  }

  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void {
    if (this.settled) return;
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
    this.settle();
    this.exchange.end();
  }

  onUpstreamError(failure: UpstreamFailure): void {
    if (this.settled) return;
    this.settle();
    this.completion.upstreamFailed(failure, this.request);
    if (this.responseStarted) {
      // Headers are out: the only honest signal left is to break the connection.
      this.exchange.abort();
    } else {
      const [status, code] = FAILURE_RESPONSES[failure.kind];
      respondWithError(this.exchange, status, code);
    }
  }

  private onClientGone(): void {
    if (this.settled) return;
    this.settle();
    this.call?.abort();
  }

  private settle(): void {
    this.settled = true;
    this.completion.exchangeFinished();
  }
}
