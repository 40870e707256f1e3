import type { HttpExchange } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import type { RequestRecord } from '../../ports/request-observer';
import type { ErrorPages } from '../error-responses';
import { respondWithError } from '../error-responses';
import type { RateLimitDecision } from './rate-limit-decision';
import type { RouteRateLimit } from './route-rate-limit';

const TEXT_HEADERS: readonly string[] = ['content-type', 'text/plain; charset=utf-8'];

/** Shadow-mode hits are logged at most this often per route (the rest are counted in the line). */
const SHADOW_LOG_INTERVAL_MS = 1000;

/**
 * The answer to a request over its route's limit: the limit's status, `Retry-After` (unless
 * waiting cannot help: a missing key), the answer headers, and the configured `message` as
 * text/plain, else the route's error page for that status, else prox's JSON error
 * `{"error":"rate_limited","status":429}`.
 */
export function refuseForRateLimit(
  exchange: HttpExchange,
  limit: RouteRateLimit,
  record: RequestRecord,
  decision: RateLimitDecision,
  answerHeaders: readonly string[],
  pages: ErrorPages,
): void {
  const status = limit.statusCode;
  record.status = status;
  record.errorCode = 'rate_limited';
  record.rateLimited = 'enforced';
  const headers = decision.retryAfterSecs > 0 ? ['retry-after', String(decision.retryAfterSecs), ...answerHeaders] : answerHeaders;
  if (limit.message === null) return respondWithError(exchange, status, 'rate_limited', headers, pages);
  exchange.respond(status, [...TEXT_HEADERS, ...headers], limit.message);
}

/** A request a shadow-mode limit would have refused: counted, logged (throttled), then served. */
export function reportShadowHit(limit: RouteRateLimit, record: RequestRecord, nowMs: number, logger: Logger): void {
  record.rateLimited = 'shadow';
  if (nowMs - limit.lastShadowLogMs < SHADOW_LOG_INTERVAL_MS) {
    limit.shadowSuppressed++;
    return;
  }
  logger.info('rate limit exceeded (shadow mode, request served)', {
    route: record.route,
    by: limit.by,
    client: record.clientIp,
    // Hits since the previous line that were not logged one by one.
    suppressed: limit.shadowSuppressed,
  });
  limit.lastShadowLogMs = nowMs;
  limit.shadowSuppressed = 0;
}
