import { FixedWindow, RateLimitAlgorithm, SlidingWindow, TokenBucket } from '../../../src/core/rate-limit/algorithms';
import type { RateLimitRule } from '../../../src/ports/rate-limit-store';
import { FakeClock } from '../support/fake-clock';

function rule(overrides: Partial<RateLimitRule>): RateLimitRule {
  return { algorithm: 'token_bucket', requests: 3, periodMs: 3000, burst: 3, maxKeys: 100, ...overrides };
}

/**
 * One key's decisions as the clock moves: `take(n)` makes n requests at the current time and
 * returns each as `allow r=<remaining>` or `deny retry=<ms>`.
 */
function driver<S>(algorithm: RateLimitAlgorithm<S>) {
  const clock = new FakeClock();
  // FakeClock starts at 1_000_000 ms: a multiple of every period used here, so windows start at 0.
  const origin = clock.nowMs();
  const state = algorithm.fresh(clock.nowMs());
  return {
    clock,
    state,
    /** Moves to `ms` after the origin. */
    at(ms: number) {
      clock.advance(origin + ms - clock.nowMs());
    },
    take(n = 1): string[] {
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        const verdict = algorithm.take(state, clock.nowMs());
        out.push(verdict.allowed ? `allow r=${verdict.remaining} reset=${verdict.resetMs}` : `deny retry=${verdict.retryAfterMs} reset=${verdict.resetMs}`);
      }
      return out;
    },
    idle(): boolean {
      return algorithm.isIdle(state, clock.nowMs());
    },
  };
}

describe('token bucket: refills continuously at requests/period, holds burst tokens', () => {
  it('allows a full bucket at once, then one request per refill interval', () => {
    const d = driver(new TokenBucket(rule({ requests: 3, periodMs: 3000, burst: 3 })));
    expect(d.take(4)).toEqual(['allow r=2 reset=1000', 'allow r=1 reset=2000', 'allow r=0 reset=3000', 'deny retry=1000 reset=3000']);
    d.at(999);
    expect(d.take()).toEqual(['deny retry=1 reset=2001']);
    d.at(1000);
    expect(d.take(2)).toEqual(['allow r=0 reset=3000', 'deny retry=1000 reset=3000']);
    d.at(1500);
    expect(d.take()).toEqual(['deny retry=500 reset=2500']);
    d.at(2000);
    expect(d.take(2)).toEqual(['allow r=0 reset=3000', 'deny retry=1000 reset=3000']);
  });

  it('refills partially: after 2 intervals two tokens are back, not the whole bucket', () => {
    const d = driver(new TokenBucket(rule({ requests: 3, periodMs: 3000, burst: 3 })));
    d.take(3);
    d.at(2000);
    expect(d.take(3)).toEqual(['allow r=1 reset=2000', 'allow r=0 reset=3000', 'deny retry=1000 reset=3000']);
  });

  it('never holds more than burst tokens, however long it idles', () => {
    const d = driver(new TokenBucket(rule({ requests: 3, periodMs: 3000, burst: 3 })));
    d.at(3_600_000);
    expect(d.take(4).map((v) => v.split(' ')[0])).toEqual(['allow', 'allow', 'allow', 'deny']);
  });

  it('burst overrides the bucket size, the rate stays requests/period', () => {
    const d = driver(new TokenBucket(rule({ requests: 1, periodMs: 1000, burst: 5 })));
    expect(d.take(6)).toEqual([
      'allow r=4 reset=1000',
      'allow r=3 reset=2000',
      'allow r=2 reset=3000',
      'allow r=1 reset=4000',
      'allow r=0 reset=5000',
      'deny retry=1000 reset=5000',
    ]);
    d.at(1000);
    expect(d.take(2)).toEqual(['allow r=0 reset=5000', 'deny retry=1000 reset=5000']);
  });

  it('a burst smaller than requests smooths traffic: at most burst at once', () => {
    const d = driver(new TokenBucket(rule({ requests: 10, periodMs: 10_000, burst: 1 })));
    expect(d.take(2)).toEqual(['allow r=0 reset=1000', 'deny retry=1000 reset=1000']);
    d.at(1000);
    expect(d.take()).toEqual(['allow r=0 reset=1000']);
  });

  it('is idle (droppable) once the bucket is full again, not before', () => {
    const d = driver(new TokenBucket(rule({ requests: 3, periodMs: 3000, burst: 3 })));
    expect(d.idle()).toBe(true);
    d.take(2);
    d.at(1999);
    expect(d.idle()).toBe(false);
    d.at(2000);
    expect(d.idle()).toBe(true);
  });
});

describe('fixed window: counts per aligned window, window start = floor(now/period)*period', () => {
  it('allows requests per window, refuses until the window ends, then starts over', () => {
    const d = driver(new FixedWindow(rule({ algorithm: 'fixed_window', requests: 3, periodMs: 10_000 })));
    d.at(2000);
    expect(d.take(4)).toEqual(['allow r=2 reset=8000', 'allow r=1 reset=8000', 'allow r=0 reset=8000', 'deny retry=8000 reset=8000']);
    d.at(9999);
    expect(d.take()).toEqual(['deny retry=1 reset=1']);
    d.at(10_000);
    expect(d.take(4)).toEqual(['allow r=2 reset=10000', 'allow r=1 reset=10000', 'allow r=0 reset=10000', 'deny retry=10000 reset=10000']);
  });

  it('windows are aligned, not started by the first request: 3 at the end and 3 at the start of the next pass', () => {
    const d = driver(new FixedWindow(rule({ algorithm: 'fixed_window', requests: 3, periodMs: 10_000 })));
    d.at(19_999);
    expect(d.take(3).map((v) => v.split(' ')[0])).toEqual(['allow', 'allow', 'allow']);
    d.at(20_000);
    expect(d.take(4).map((v) => v.split(' ')[0])).toEqual(['allow', 'allow', 'allow', 'deny']);
  });

  it('is idle once its window is over (or nothing was counted)', () => {
    const d = driver(new FixedWindow(rule({ algorithm: 'fixed_window', requests: 3, periodMs: 10_000 })));
    expect(d.idle()).toBe(true);
    d.take();
    d.at(9999);
    expect(d.idle()).toBe(false);
    d.at(10_000);
    expect(d.idle()).toBe(true);
  });
});

describe('sliding window: previous window weighted by its share still inside the period', () => {
  const sliding = () => driver(new SlidingWindow(rule({ algorithm: 'sliding_window', requests: 4, periodMs: 10_000 })));

  it('allows the limit in the first window, then waits until the weighted count leaves room', () => {
    const d = sliding();
    d.at(5000);
    expect(d.take(5)).toEqual(['allow r=3 reset=5000', 'allow r=2 reset=5000', 'allow r=1 reset=5000', 'allow r=0 reset=5000', 'deny retry=7500 reset=5000']);
    // 2.5 s into the next window the previous 4 weigh 4 × 0.75 = 3: room for exactly one.
    d.at(12_499);
    expect(d.take()).toEqual(['deny retry=1 reset=7501']);
    d.at(12_500);
    expect(d.take(2)).toEqual(['allow r=0 reset=7500', 'deny retry=2500 reset=7500']);
    // At 5 s: 4 × 0.5 + 1 = 3: room for one more.
    d.at(15_000);
    expect(d.take(2)).toEqual(['allow r=0 reset=5000', 'deny retry=2500 reset=5000']);
    // At 7.5 s: 4 × 0.25 + 2 = 3; then the current 3 alone fill the room until the window ends.
    d.at(17_500);
    expect(d.take(2)).toEqual(['allow r=0 reset=2500', 'deny retry=2500 reset=2500']);
    d.at(20_000);
    expect(d.take(2)).toEqual(['allow r=0 reset=10000', 'deny retry=3333.333333333333 reset=10000']);
  });

  it('differs from a fixed window at the boundary: no double burst', () => {
    const d = sliding();
    d.at(9999);
    expect(d.take(4).map((v) => v.split(' ')[0])).toEqual(['allow', 'allow', 'allow', 'allow']);
    d.at(10_000);
    expect(d.take()).toEqual(['deny retry=2500 reset=10000']);
  });

  it('forgets a previous window that is not the one just before', () => {
    const d = sliding();
    d.take(4);
    d.at(20_000);
    expect(d.take(5).map((v) => v.split(' ')[0])).toEqual(['allow', 'allow', 'allow', 'allow', 'deny']);
  });

  it('with a limit of 1, a refused request waits for the weight of the one allowed to decay fully', () => {
    const d = driver(new SlidingWindow(rule({ algorithm: 'sliding_window', requests: 1, periodMs: 10_000 })));
    d.at(4000);
    expect(d.take(2)).toEqual(['allow r=0 reset=6000', 'deny retry=16000 reset=6000']);
    d.at(19_999);
    expect(d.take()).toEqual(['deny retry=1 reset=1']);
    d.at(20_000);
    expect(d.take()).toEqual(['allow r=0 reset=10000']);
  });

  it('is idle once both windows it counted are over', () => {
    const d = sliding();
    expect(d.idle()).toBe(true);
    d.at(5000);
    d.take();
    d.at(19_999);
    expect(d.idle()).toBe(false);
    d.at(20_000);
    expect(d.idle()).toBe(true);
  });
});
