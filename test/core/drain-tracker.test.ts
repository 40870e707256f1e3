import { DrainTracker } from '../../src/core/drain-tracker';

/** Lets pending promise callbacks run. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function watch(promise: Promise<void>): { resolved: boolean } {
  const state = { resolved: false };
  void promise.then(() => {
    state.resolved = true;
  });
  return state;
}

describe('DrainTracker', () => {
  test('starts at 0 and idle resolves immediately', async () => {
    const drain = new DrainTracker();
    expect(drain.count).toBe(0);
    const idle = watch(drain.idle());
    await flush();
    expect(idle.resolved).toBe(true);
  });

  test('counts begins and ends', () => {
    const drain = new DrainTracker();
    drain.begin();
    drain.begin();
    expect(drain.count).toBe(2);
    drain.end();
    expect(drain.count).toBe(1);
    drain.end();
    expect(drain.count).toBe(0);
  });

  test('idle resolves only after the last end', async () => {
    const drain = new DrainTracker();
    drain.begin();
    drain.begin();
    drain.begin();
    const first = watch(drain.idle());
    const second = watch(drain.idle());
    drain.end();
    await flush();
    expect(first.resolved).toBe(false);
    drain.end();
    await flush();
    expect(first.resolved).toBe(false);
    expect(second.resolved).toBe(false);
    drain.end();
    await flush();
    expect(first.resolved).toBe(true);
    expect(second.resolved).toBe(true);
  });

  test('idle waits again once new work begins after a drain', async () => {
    const drain = new DrainTracker();
    drain.begin();
    drain.end();
    drain.begin();
    const idle = watch(drain.idle());
    await flush();
    expect(idle.resolved).toBe(false);
    drain.end();
    await flush();
    expect(idle.resolved).toBe(true);
  });

  test('a waiter registered during a busy period is not woken by a later begin/end pair that leaves work running', async () => {
    const drain = new DrainTracker();
    drain.begin();
    const idle = watch(drain.idle());
    drain.begin();
    drain.end();
    await flush();
    expect(idle.resolved).toBe(false);
    drain.end();
    await flush();
    expect(idle.resolved).toBe(true);
  });
});
