import fc from 'fast-check';
import { isTemplateProblem, parseTemplate, PLACEHOLDER_NAMES } from '../../src/config/placeholders';
import { HashRing, hashString } from '../../src/core/balancing/hash-ring';
import { FixedWindow, SlidingWindow, TokenBucket } from '../../src/core/rate-limit/algorithms';
import { headerSafe, Placeholder, ValueTemplate, type PlaceholderValues } from '../../src/core/rules/template';
import { parseByteRange } from '../../src/core/static/byte-range';
import type { RateLimitRule } from '../../src/ports/rate-limit-store';
import { bounded } from './seed';

describe('header templates (properties)', () => {
  const piece = fc.oneof(
    fc.string({ maxLength: 8 }).map((text) => ({ literal: text })),
    fc.constantFrom(...PLACEHOLDER_NAMES).map((name) => ({ placeholder: name })),
  );
  const valueOf = (placeholder: Placeholder): string => `<${String(placeholder)}>`;
  const values: PlaceholderValues = { valueOf };

  it('an escaped template renders to its literal text with every placeholder filled in', () => {
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (pieces) => {
        const text = pieces
          .map((p) => ('literal' in p ? p.literal.replace(/\{/g, '{{').replace(/\}/g, '}}') : `{${p.placeholder}}`))
          .join('');
        const parsed = parseTemplate(text);
        if (isTemplateProblem(parsed)) throw new Error(`rejected ${JSON.stringify(text)}: ${parsed.message}`);
        const expected = pieces
          .map((p) => ('literal' in p ? p.literal : valueOf(PLACEHOLDER_NAMES.indexOf(p.placeholder) as Placeholder)))
          .join('');
        expect(ValueTemplate.compile(parsed).render(values)).toBe(expected);
      }),
      bounded(500),
    );
  });

  it('any text parses to a template or a problem with a hint, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30, unit: fc.constantFrom('{', '}', 'a', 'client_ip', 'host', ' ', '\u0000', '\u00e9') }), (text) => {
        const parsed = parseTemplate(text);
        if (isTemplateProblem(parsed)) expect(parsed.hint.length).toBeGreaterThan(0);
        else expect(parsed.length).toBeGreaterThan(0);
      }),
      bounded(500),
    );
  });

  it('request text put into a header is always a valid header value, and valid values are kept as they are', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 20, unit: 'binary' }), (text) => {
        const safe = headerSafe(text);
        expect(safe).toMatch(/^[\x21-\x7e]*$/);
        if (/^[\x21-\x7e]*$/.test(text)) expect(safe).toBe(text);
      }),
      bounded(500),
    );
  });
});

describe('byte ranges (properties)', () => {
  const size = fc.integer({ min: 0, max: 10_000 });
  const header = fc.oneof(
    fc.string({ maxLength: 20, unit: fc.constantFrom('b', 'y', 't', 'e', 's', '=', '-', ',', ' ', '0', '1', '5', '9') }),
    fc.tuple(fc.option(fc.nat(20_000)), fc.option(fc.nat(20_000))).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
  );

  it('a part is always inside the representation; anything else is whole or unsatisfiable', () => {
    fc.assert(
      fc.property(header, size, (text, bytes) => {
        const range = parseByteRange(text, bytes);
        if (range.kind === 'part') {
          expect(range.start).toBeGreaterThanOrEqual(0);
          expect(range.start).toBeLessThanOrEqual(range.end);
          expect(range.end).toBeLessThan(bytes);
        }
      }),
      bounded(1000),
    );
  });

  it('a satisfiable first-last range is served exactly, clipped to the size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000 }), fc.nat(20_000), fc.nat(20_000), (bytes, a, b) => {
        const [first, last] = a <= b ? [a, b] : [b, a];
        const range = parseByteRange(`bytes=${first}-${last}`, bytes);
        if (first >= bytes) expect(range).toEqual({ kind: 'unsatisfiable' });
        else expect(range).toEqual({ kind: 'part', start: first, end: Math.min(last, bytes - 1) });
      }),
      bounded(1000),
    );
  });
});

describe('rate-limit arithmetic (properties)', () => {
  const rule = fc.record({
    requests: fc.integer({ min: 1, max: 50 }),
    periodMs: fc.integer({ min: 1, max: 60_000 }),
    burst: fc.integer({ min: 1, max: 50 }),
  });
  /** Non-decreasing request times from gaps. */
  const times = fc.array(fc.nat(5_000), { minLength: 1, maxLength: 200 }).map((gaps) => {
    let now = 1_000_000;
    return gaps.map((gap) => (now += gap));
  });
  const asRule = (r: { requests: number; periodMs: number; burst: number }, algorithm: RateLimitRule['algorithm']): RateLimitRule => ({
    ...r,
    algorithm,
    maxKeys: 100,
  });

  it('verdicts are well-formed: allowed with no wait, denied with a positive wait, remaining never negative', () => {
    fc.assert(
      fc.property(rule, times, fc.constantFrom('token_bucket', 'fixed_window', 'sliding_window' as const), (r, at, algorithm) => {
        const rateRule = asRule(r, algorithm);
        const limiter = algorithm === 'token_bucket' ? new TokenBucket(rateRule) : algorithm === 'fixed_window' ? new FixedWindow(rateRule) : new SlidingWindow(rateRule);
        const state = (limiter.fresh as (now: number) => unknown)(at[0]);
        for (const now of at) {
          const verdict = (limiter.take as (s: unknown, n: number) => ReturnType<TokenBucket['take']>)(state, now);
          expect(verdict.remaining).toBeGreaterThanOrEqual(0);
          expect(verdict.resetMs).toBeGreaterThanOrEqual(0);
          if (verdict.allowed) expect(verdict.retryAfterMs).toBe(0);
          else expect(verdict.retryAfterMs).toBeGreaterThan(0);
        }
      }),
      bounded(300),
    );
  });

  it('a fixed window never allows more than `requests` in one window', () => {
    fc.assert(
      fc.property(rule, times, (r, at) => {
        const limiter = new FixedWindow(asRule(r, 'fixed_window'));
        const state = limiter.fresh(at[0]);
        const perWindow = new Map<number, number>();
        for (const now of at) {
          if (!limiter.take(state, now).allowed) continue;
          const window = Math.floor(now / r.periodMs);
          perWindow.set(window, (perWindow.get(window) ?? 0) + 1);
        }
        for (const count of perWindow.values()) expect(count).toBeLessThanOrEqual(r.requests);
      }),
      bounded(300),
    );
  });

  it('a token bucket never allows more than burst + rate × elapsed time', () => {
    fc.assert(
      fc.property(rule, times, (r, at) => {
        const limiter = new TokenBucket(asRule(r, 'token_bucket'));
        const state = limiter.fresh(at[0]);
        const allowed: number[] = [];
        for (const now of at) if (limiter.take(state, now).allowed) allowed.push(now);
        // Any stretch of allowed requests fits the bucket plus what refilled meanwhile.
        for (let i = 0; i < allowed.length; i++) {
          for (let j = i; j < allowed.length; j++) {
            const refilled = ((allowed[j] - allowed[i]) * r.requests) / r.periodMs;
            expect(j - i + 1).toBeLessThanOrEqual(r.burst + refilled + 1e-6);
          }
        }
      }),
      bounded(200),
    );
  });

  it('a sliding window allows at most twice `requests` over any period, and at most `requests` in its first window', () => {
    fc.assert(
      fc.property(rule, times, (r, at) => {
        const limiter = new SlidingWindow(asRule(r, 'sliding_window'));
        const state = limiter.fresh(at[0]);
        const allowed: number[] = [];
        for (const now of at) if (limiter.take(state, now).allowed) allowed.push(now);
        for (let i = 0; i < allowed.length; i++) {
          let inPeriod = 0;
          for (let j = i; j < allowed.length && allowed[j] < allowed[i] + r.periodMs; j++) inPeriod++;
          expect(inPeriod).toBeLessThanOrEqual(2 * r.requests);
        }
        const firstWindow = Math.floor(at[0] / r.periodMs);
        expect(allowed.filter((now) => Math.floor(now / r.periodMs) === firstWindow).length).toBeLessThanOrEqual(r.requests);
      }),
      bounded(200),
    );
  });
});

describe('hash ring stability (properties)', () => {
  const backends = fc.uniqueArray(fc.stringMatching(/^[a-z]{1,6}$/), { minLength: 2, maxLength: 8 }).chain((ids) =>
    fc.tuple(
      fc.constant(ids),
      fc.array(fc.integer({ min: 1, max: 4 }), { minLength: ids.length, maxLength: ids.length }),
      fc.nat(ids.length - 1),
    ),
  );
  const keys = fc.array(fc.string({ maxLength: 12 }), { minLength: 1, maxLength: 100 });
  const ALL = { isAvailable: () => true };

  it('removing one backend moves only the keys it owned; the others stay where they were', () => {
    fc.assert(
      fc.property(backends, keys, ([ids, weights, removed], keyList) => {
        const full = ids.map((id, i) => ({ id: `http://${id}`, weight: weights[i] }));
        const without = full.filter((_, i) => i !== removed);
        const before = new HashRing(full);
        const after = new HashRing(without);
        for (const key of keyList) {
          const hash = hashString(key);
          const owner = full[before.lookup(hash, ALL)].id;
          const newOwner = without[after.lookup(hash, ALL)].id;
          if (owner !== full[removed].id) expect(newOwner).toBe(owner);
          // Marking it unavailable gives the same answer as removing it.
          expect(full[before.lookup(hash, { isAvailable: (i) => i !== removed })].id).toBe(newOwner);
        }
      }),
      bounded(40),
    );
  });

  it('the same backends in the same order give the same owner for every key', () => {
    fc.assert(
      fc.property(backends, keys, ([ids, weights], keyList) => {
        const list = ids.map((id, i) => ({ id, weight: weights[i] }));
        const a = new HashRing(list);
        const b = new HashRing(list.map((backend) => ({ ...backend })));
        for (const key of keyList) expect(a.lookup(hashString(key), ALL)).toBe(b.lookup(hashString(key), ALL));
      }),
      bounded(40),
    );
  });
});
