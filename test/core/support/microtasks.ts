/**
 * Lets promise continuations run (probe results travel through a few `then`s) without waiting
 * for any time to pass: only the microtask queue is drained, timers stay with the FakeClock.
 */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}
