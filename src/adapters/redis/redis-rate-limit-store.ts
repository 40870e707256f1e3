import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { algorithmFor } from '../../core/rate-limit/algorithms';
import { redactUrlPassword } from '../../core/redacted-url';
import type { RateLimitStoreSpec } from '../../core/model';
import type { Clock } from '../../ports/clock';
import type { Logger } from '../../ports/logger';
import type {
  RateLimitCounter,
  RateLimitRule,
  RateLimitStore,
  RateLimitStoreFailureReason,
  RateLimitStoreHealth,
  RateLimitStoreObserver,
  RateLimitVerdict,
  SharedRateLimitStore,
} from '../../ports/rate-limit-store';
import { FIXED_WINDOW_SCRIPT, SLIDING_WINDOW_SCRIPT, TOKEN_BUCKET_SCRIPT } from './rate-limit-scripts';
import { StoreBreaker } from './store-breaker';

/** Longest wait for the first connection at start; requests follow `on_error` meanwhile. */
const CONNECT_TIMEOUT_MS = 2000;
/** Reconnect quickly: a restarted Redis is used again within a quarter of a second. */
const RECONNECT_DELAY_MAX_MS = 200;
/** Retry-After of requests refused because the store is down (`on_error: deny`). */
const DENY_RETRY_AFTER_MS = 1000;

const COMMANDS = { token_bucket: 'proxTokenBucket', fixed_window: 'proxFixedWindow', sliding_window: 'proxSlidingWindow' } as const;

type ScriptReply = [number, string, string, string];
type ScriptCall = (key: string, requests: number, periodMs: number, burst: number, nowMs: string) => Promise<ScriptReply>;

export interface RedisRateLimitStoreDependencies {
  readonly clock: Clock;
  readonly logger: Logger;
  readonly observer: RateLimitStoreObserver;
  /** This process's own store: the counters of `on_error: local`. */
  readonly local: RateLimitStore;
  /**
   * TEST ONLY: the scripts take the caller's `nowMs` instead of Redis TIME, so a test can replay
   * one sequence of instants through this store and the in-process one. Never from config.
   */
  readonly callerClock?: boolean;
}

/**
 * Rate-limit counters in Redis, shared by every prox process that points at it: one Lua script
 * call per request, Redis TIME as the one clock. When Redis does not answer within `timeout_ms`
 * (or is down), the request follows `on_error`; after a few failures in a row Redis is skipped
 * briefly (StoreBreaker) so an outage does not add a timeout to every request.
 */
export class RedisRateLimitStore implements SharedRateLimitStore {
  private readonly redis: Redis;
  private readonly breaker = new StoreBreaker();
  private readonly counters = new Map<string, RedisRateLimitCounter>();
  private readonly safeUrl: string;
  private downSince: { at: number; error: string } | null = null;
  private closed = false;

  constructor(
    private readonly spec: RateLimitStoreSpec,
    private readonly deps: RedisRateLimitStoreDependencies,
  ) {
    this.safeUrl = redactUrlPassword(spec.url);
    this.redis = new Redis(spec.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: spec.timeoutMs,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt: number) => Math.min(attempt * 50, RECONNECT_DELAY_MAX_MS),
    });
    this.redis.defineCommand(COMMANDS.token_bucket, { numberOfKeys: 1, lua: TOKEN_BUCKET_SCRIPT });
    this.redis.defineCommand(COMMANDS.fixed_window, { numberOfKeys: 1, lua: FIXED_WINDOW_SCRIPT });
    this.redis.defineCommand(COMMANDS.sliding_window, { numberOfKeys: 1, lua: SLIDING_WINDOW_SCRIPT });
    // Without a listener an 'error' event would be thrown: connection trouble is an outage, not a crash.
    this.redis.on('error', (error: Error) => this.markDown(error.message));
    this.redis.on('close', () => this.markDown('connection closed'));
    this.redis.on('ready', () => {
      // Connected again: try Redis at once rather than after the breaker's skip period.
      this.breaker.succeeded();
      this.markUp();
    });
  }

  async connect(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CONNECT_TIMEOUT_MS);
      timer.unref();
    });
    const connected = this.redis.connect().then(
      () => undefined,
      (error: unknown) => this.markDown(error instanceof Error ? error.message : String(error)),
    );
    await Promise.race([connected, gaveUp]);
    clearTimeout(timer);
  }

  counter(id: string, rule: RateLimitRule): RateLimitCounter {
    let counter = this.counters.get(id);
    if (counter === undefined) {
      counter = new RedisRateLimitCounter(this, id, rule, this.spec.keyPrefix, this.fallbackFor(id, rule));
      this.counters.set(id, counter);
    }
    return counter;
  }

  retainOnly(ids: ReadonlySet<string>): void {
    for (const id of this.counters.keys()) if (!ids.has(id)) this.counters.delete(id);
    this.deps.local.retainOnly(ids);
  }

  health(): RateLimitStoreHealth | null {
    const down = this.downSince;
    if (down === null) return null;
    return {
      detail: `rate_limit_store: redis at ${this.safeUrl} unavailable since ${new Date(down.at).toISOString()} (${down.error}); requests follow on_error: ${this.spec.onError}`,
      failsReadiness: this.spec.onError === 'deny',
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }

  /** One request through Redis, or through `fallback` when Redis gives no answer. */
  async take(command: keyof typeof COMMANDS, redisKey: string, rule: RateLimitRule, key: string, nowMs: number, fallback: Fallback): Promise<RateLimitVerdict> {
    const clock = this.deps.clock;
    const started = clock.monotonicMs();
    if (!this.breaker.allows(started)) {
      this.deps.observer.rateLimitStoreFailed('skipped');
      return fallback(key, nowMs);
    }
    const call = (this.redis as unknown as Record<string, ScriptCall>)[COMMANDS[command]];
    try {
      const reply = await call.call(this.redis, redisKey, rule.requests, rule.periodMs, rule.burst, this.deps.callerClock === true ? String(nowMs) : '');
      this.breaker.succeeded();
      this.deps.observer.rateLimitStoreCall((clock.monotonicMs() - started) / 1000);
      if (this.downSince !== null) this.markUp();
      return verdictOf(reply);
    } catch (error) {
      this.breaker.failed(clock.monotonicMs());
      this.deps.observer.rateLimitStoreCall((clock.monotonicMs() - started) / 1000);
      this.deps.observer.rateLimitStoreFailed(failureReason(error));
      this.markDown(error instanceof Error ? error.message : String(error));
      return fallback(key, nowMs);
    }
  }

  private fallbackFor(id: string, rule: RateLimitRule): Fallback {
    switch (this.spec.onError) {
      case 'allow': {
        // Answer as if the key were new: allowed, with the RateLimit headers of a full quota.
        const algorithm = algorithmFor(rule);
        return (_key, nowMs) => algorithm.take(algorithm.fresh(nowMs), nowMs);
      }
      case 'deny':
        return () => ({ allowed: false, remaining: 0, resetMs: DENY_RETRY_AFTER_MS, retryAfterMs: DENY_RETRY_AFTER_MS });
      case 'local': {
        const local = this.deps.local.counter(id, rule);
        return (key, nowMs) => local.take(key, nowMs);
      }
    }
  }

  private markDown(error: string): void {
    if (this.closed || this.downSince !== null) return;
    this.downSince = { at: this.deps.clock.nowMs(), error };
    this.deps.logger.warn('rate limit store unavailable; requests follow on_error', { url: this.safeUrl, error, on_error: this.spec.onError });
  }

  private markUp(): void {
    if (this.downSince === null) return;
    this.downSince = null;
    this.deps.logger.info('rate limit store available again', { url: this.safeUrl });
  }
}

type Fallback = (key: string, nowMs: number) => RateLimitVerdict | Promise<RateLimitVerdict>;

/** The counters of one rate limit in Redis: `<prefix>{<client key>}:<rule digest>`. */
class RedisRateLimitCounter implements RateLimitCounter {
  private readonly ruleDigest: string;

  constructor(
    private readonly store: RedisRateLimitStore,
    id: string,
    private readonly rule: RateLimitRule,
    private readonly prefix: string,
    private readonly fallback: Fallback,
  ) {
    // The id carries the route and the whole counting rule: a changed rule starts afresh, as in-process.
    this.ruleDigest = createHash('sha256').update(id).digest('hex').slice(0, 16);
  }

  /** Keys live in Redis, which expires them; nothing is held here. */
  get size(): number {
    return 0;
  }

  take(key: string, nowMs: number): Promise<RateLimitVerdict> {
    return this.store.take(this.rule.algorithm, this.redisKey(key), this.rule, key, nowMs, this.fallback);
  }

  /**
   * The client key is the hash tag, so in Redis Cluster every limit of one client lives on one
   * shard; braces in it are escaped so the tag cannot end early or be confused with another key.
   */
  private redisKey(key: string): string {
    return `${this.prefix}{${key.replace(/[%{}]/g, (char) => encodeURIComponent(char))}}:${this.ruleDigest}`;
  }
}

function verdictOf(reply: ScriptReply): RateLimitVerdict {
  return { allowed: reply[0] === 1, remaining: Number(reply[1]), resetMs: Number(reply[2]), retryAfterMs: Number(reply[3]) };
}

function failureReason(error: unknown): RateLimitStoreFailureReason {
  const message = error instanceof Error ? error.message : '';
  if (/timed out/i.test(message)) return 'timeout';
  if (/writeable|connect|closed|ECONN|EPIPE/i.test(message)) return 'unavailable';
  return 'error';
}
