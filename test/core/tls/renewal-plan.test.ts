import { backoffMs, coversDomains, planRenewal, renewalTimeMs, RENEWAL_CHECK_INTERVAL_MS, type RenewalInput } from '../../../src/core/tls/renewal-plan';
import { RenewalScheduler, type RenewalTarget } from '../../../src/core/tls/renewal-scheduler';
import type { FailureHistory, OrderReason, StoredCertificateFacts } from '../../../src/core/tls/renewal-plan';
import { FakeClock } from '../support/fake-clock';
import { flushMicrotasks } from '../support/microtasks';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = 1_700_000_000_000;

const cert = (days: number, names = ['a.example', 'b.example'], start = T0): StoredCertificateFacts => ({ names, notBeforeMs: start, notAfterMs: start + days * DAY });
const input = (overrides: Partial<RenewalInput>): RenewalInput => ({
  nowMs: T0,
  domains: ['a.example', 'b.example'],
  certificate: cert(90),
  renewalDaysBeforeExpiry: 30,
  jitter: 0,
  failures: { count: 0, lastFailureMs: 0 },
  ...overrides,
});

describe('renewal plan', () => {
  it('renews a 90-day certificate 30 days before expiry (day 60)', () => {
    expect(renewalTimeMs(cert(90), 30, 0)).toBe(T0 + 60 * DAY);
  });

  it('renews short-lived certificates at the latest 2/3 into their lifetime', () => {
    expect(renewalTimeMs(cert(45), 30, 0)).toBe(T0 + 15 * DAY); // 30 days before: day 15 < 2/3 (day 30)
    expect(renewalTimeMs(cert(45), 10, 0)).toBe(T0 + 30 * DAY); // 10 days before: day 35 > 2/3: day 30
    // Shorter than the window: a third into the lifetime, not at once (a fresh certificate would be due again the moment it is issued).
    expect(renewalTimeMs(cert(6), 30, 0)).toBe(T0 + 2 * DAY);
  });

  it('jitter moves renewal earlier, by at most 5% of the lifetime and 12 hours', () => {
    expect(renewalTimeMs(cert(90), 30, 0.5)).toBe(T0 + 60 * DAY - 6 * HOUR);
    expect(renewalTimeMs(cert(90), 30, 0.999999)).toBeGreaterThan(T0 + 60 * DAY - 12 * HOUR);
    expect(renewalTimeMs(cert(1), 30, 0.5)).toBe(T0 + 8 * HOUR); // clamped at a third of the lifetime
  });

  it('serves a good certificate and looks again every 12 hours until renewal', () => {
    expect(planRenewal(input({}))).toEqual({ kind: 'wait', renewAtMs: T0 + 60 * DAY, checkAtMs: T0 + RENEWAL_CHECK_INTERVAL_MS });
    expect(planRenewal(input({ nowMs: T0 + 60 * DAY - HOUR }))).toEqual({ kind: 'wait', renewAtMs: T0 + 60 * DAY, checkAtMs: T0 + 60 * DAY });
  });

  it('orders at once without a certificate, for changed names, and after expiry', () => {
    expect(planRenewal(input({ certificate: null }))).toEqual({ kind: 'order', atMs: T0, reason: 'no certificate', serveCurrent: false });
    expect(planRenewal(input({ domains: ['a.example', 'c.example'] }))).toMatchObject({ kind: 'order', reason: 'names changed', serveCurrent: false });
    expect(planRenewal(input({ domains: ['a.example'] })).kind).toBe('wait'); // fewer names: still covered
    expect(planRenewal(input({ nowMs: T0 + 90 * DAY }))).toMatchObject({ kind: 'order', reason: 'expired', serveCurrent: false });
  });

  it('renews when due while the current certificate keeps serving', () => {
    expect(planRenewal(input({ nowMs: T0 + 61 * DAY }))).toEqual({ kind: 'order', atMs: T0 + 61 * DAY, reason: 'renewal due', serveCurrent: true });
  });

  it('backs off exponentially after failures: 5 min, 10, 20, ... capped at a day', () => {
    expect([0, 1, 2, 3, 4].map(backoffMs)).toEqual([0, 5 * 60_000, 10 * 60_000, 20 * 60_000, 40 * 60_000]);
    expect(backoffMs(20)).toBe(DAY);
    expect(planRenewal(input({ certificate: null, failures: { count: 2, lastFailureMs: T0 - 60_000 } }))).toMatchObject({ kind: 'order', atMs: T0 + 9 * 60_000 });
    // A failure long ago is no reason to wait now.
    expect(planRenewal(input({ certificate: null, failures: { count: 1, lastFailureMs: T0 - DAY } }))).toMatchObject({ kind: 'order', atMs: T0 });
  });

  it('a freshly issued certificate shorter than the renewal window is not due at once', () => {
    const fresh = cert(6, ['a.example', 'b.example'], T0);
    expect(planRenewal(input({ certificate: fresh, nowMs: T0 + 60_000 }))).toMatchObject({ kind: 'wait', renewAtMs: T0 + 2 * DAY });
  });

  it('waits for the hourly limit of failed orders even when the backoff would allow one', () => {
    const recent = [T0 - 50 * 60_000, T0 - 40 * 60_000, T0 - 30 * 60_000, T0 - 20 * 60_000, T0 - 10 * 60_000];
    // One failure in a row (backoff 5 min, over), but five in the last hour: the oldest must leave the window.
    expect(planRenewal(input({ certificate: null, failures: { count: 1, lastFailureMs: T0 - 10 * 60_000, recentFailuresMs: recent } }))).toMatchObject({ kind: 'order', atMs: T0 + 10 * 60_000 });
    expect(planRenewal(input({ certificate: null, failures: { count: 1, lastFailureMs: T0 - 10 * 60_000, recentFailuresMs: recent.slice(1) } }))).toMatchObject({ kind: 'order', atMs: T0 });
  });

  it('waits for the lock retry when another process was ordering (no failure counted)', () => {
    expect(planRenewal(input({ certificate: null, failures: { count: 0, lastFailureMs: 0, lockRetryAtMs: T0 + 10_000 } }))).toMatchObject({ kind: 'order', atMs: T0 + 10_000 });
  });

  it('names are covered exactly (no wildcard matching)', () => {
    expect(coversDomains(['*.example'], ['a.example'])).toBe(false);
    expect(coversDomains(['a.example', 'b.example'], ['b.example'])).toBe(true);
  });
});

/** A CA and store in memory: orders succeed or fail as the test says. */
class FakeTarget implements RenewalTarget {
  certificate: StoredCertificateFacts | null = null;
  history: FailureHistory = { count: 0, lastFailureMs: 0 };
  orders: { atMs: number; reason: OrderReason }[] = [];
  caDown = false;
  constructor(
    private readonly clock: FakeClock,
    private readonly lifetimeDays: number,
  ) {}
  current(): StoredCertificateFacts | null {
    return this.certificate;
  }
  failures(): FailureHistory {
    return this.history;
  }
  async order(reason: OrderReason): Promise<void> {
    const now = this.clock.nowMs();
    this.orders.push({ atMs: now, reason });
    await Promise.resolve();
    if (this.caDown) {
      this.history = { count: this.history.count + 1, lastFailureMs: now };
      return;
    }
    this.history = { count: 0, lastFailureMs: 0 };
    this.certificate = cert(this.lifetimeDays, ['a.example', 'b.example'], now);
  }
}

describe('renewal scheduler over time (fake clock)', () => {
  const settings = { domains: ['a.example', 'b.example'], renewalDaysBeforeExpiry: 30, jitter: 0 };

  it('orders at start without a certificate, then renews every 60 days of a 90-day certificate', async () => {
    const clock = new FakeClock();
    const target = new FakeTarget(clock, 90);
    const scheduler = new RenewalScheduler(clock, target, settings);
    const start = clock.nowMs();
    scheduler.start();
    await flushMicrotasks();
    expect(target.orders).toEqual([{ atMs: start, reason: 'no certificate' }]);
    for (let day = 0; day < 200; day++) {
      clock.advance(DAY / 2);
      await flushMicrotasks();
      clock.advance(DAY / 2);
      await flushMicrotasks();
    }
    expect(target.orders.map((o) => [(o.atMs - start) / DAY, o.reason])).toEqual([
      [0, 'no certificate'],
      [60, 'renewal due'],
      [120, 'renewal due'],
      [180, 'renewal due'],
    ]);
    expect(clock.pendingTimers).toBe(1);
    scheduler.stop();
    expect(clock.pendingTimers).toBe(0);
  });

  it('uses a stored good certificate without ordering; one timer at a time', () => {
    const clock = new FakeClock();
    const target = new FakeTarget(clock, 90);
    target.certificate = cert(90, ['a.example', 'b.example'], clock.nowMs());
    const scheduler = new RenewalScheduler(clock, target, settings);
    expect(scheduler.start()).toMatchObject({ kind: 'wait' });
    clock.advance(30 * DAY);
    expect(target.orders).toEqual([]);
    expect(clock.pendingTimers).toBe(1);
  });

  it('backs off while the CA is down, then recovers; the old certificate keeps serving', async () => {
    const clock = new FakeClock();
    const target = new FakeTarget(clock, 90);
    const start = clock.nowMs();
    target.certificate = cert(90, ['a.example', 'b.example'], start);
    target.caDown = true;
    const scheduler = new RenewalScheduler(clock, target, settings);
    scheduler.start();
    const minute = 60_000;
    for (let m = 0; m < 60 * DAY / minute + 4 * 60; m += 5) {
      clock.advance(5 * minute);
      await flushMicrotasks();
    }
    const attempts = target.orders.map((o) => (o.atMs - start - 60 * DAY) / minute);
    expect(attempts).toEqual([0, 5, 15, 35, 75, 155]);
    expect(scheduler.plan).toMatchObject({ kind: 'order', serveCurrent: true });
    expect(target.certificate!.notBeforeMs).toBe(start);
    target.caDown = false;
    clock.advance(160 * minute);
    await flushMicrotasks();
    expect(target.history.count).toBe(0);
    expect(target.certificate!.notBeforeMs).toBeGreaterThan(start);
    expect(scheduler.plan).toMatchObject({ kind: 'wait' });
  });
});
