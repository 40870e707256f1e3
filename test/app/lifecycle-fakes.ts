import { loadConfigText } from '../../src/config/loader';
import type { LoadResult, ProxConfig } from '../../src/config/model';
import type { ConfigSource } from '../../src/app/lifecycle/config-source';
import type { LifecycleSignal, ProcessControl } from '../../src/app/lifecycle/process-control';
import type { ApplyResult, ListenAddress, ProxRuntime } from '../../src/app/lifecycle/prox-runtime';
import type { LogFields } from '../../src/ports/logger';

export interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A valid config whose only distinguishing marks are its redirect target and shutdown timeout. */
export function config(name: string, shutdownTimeoutSecs = 30): ProxConfig {
  const loaded = loadConfigText(
    `listen_addr: "127.0.0.1:0"\nshutdown_timeout_secs: ${shutdownTimeoutSecs}\nroutes:\n  "/": { type: redirect, target: "https://${name}.example" }\n`,
    'test.yaml',
  );
  if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
  return loaded.config;
}

export function nameOf(config: ProxConfig): string {
  const route = config.routes[0]!;
  return route.type === 'redirect' ? new URL(route.target).hostname.split('.')[0]! : '?';
}

export function invalid(): LoadResult {
  const loaded = loadConfigText('routes: {}\n', 'test.yaml');
  if (loaded.ok) throw new Error('expected an invalid config');
  return loaded;
}

/** Hands out whatever the test put in `next`, counting loads. */
export class FakeSource implements ConfigSource {
  readonly name = 'test.yaml';
  readonly file = 'test.yaml';
  loads = 0;
  next: LoadResult = { ok: true, config: config('initial'), warnings: [] };

  serve(next: ProxConfig | LoadResult): void {
    this.next = 'ok' in next ? next : { ok: true, config: next, warnings: [] };
  }

  async load(): Promise<LoadResult> {
    this.loads++;
    return this.next;
  }
}

/** Signals sent by the test; records whether the process was told to exit at once. */
export class FakeProcess implements ProcessControl {
  private readonly listeners = new Map<LifecycleSignal, Set<() => void>>();
  exitedNow = 0;

  onSignal(signal: LifecycleSignal, listener: () => void): () => void {
    const set = this.listeners.get(signal) ?? new Set();
    this.listeners.set(signal, set);
    set.add(listener);
    return () => set.delete(listener);
  }

  exitNow(): void {
    this.exitedNow++;
  }

  /** Delivers a signal; false when nobody listens (the default action would apply). */
  send(signal: LifecycleSignal): boolean {
    const set = this.listeners.get(signal);
    if (set === undefined || set.size === 0) return false;
    for (const listener of [...set]) listener();
    return true;
  }

  listening(signal: LifecycleSignal): number {
    return this.listeners.get(signal)?.size ?? 0;
  }
}

/** A runtime whose start, applies and drain finish when the test says so. */
export class FakeRuntime implements ProxRuntime {
  readonly starting = deferred<void>();
  readonly draining = deferred<boolean>();
  readonly applied: string[] = [];
  readonly drainTimeouts: number[] = [];
  rejectedCount = 0;
  aborted = 0;
  private unfinished: Deferred<ApplyResult>[] = [];
  private countWaiters: { count: number; resolve: () => void }[] = [];
  private drainCalled = deferred<number>();

  start(): Promise<void> {
    return this.starting.promise;
  }

  useConfigSource(): void {}

  /** Each apply waits until the test settles it with `finishApply`. */
  apply(next: ProxConfig): Promise<ApplyResult> {
    this.applied.push(nameOf(next));
    const done = deferred<ApplyResult>();
    this.unfinished.push(done);
    for (const waiter of this.countWaiters.filter((w) => this.applied.length >= w.count)) waiter.resolve();
    return done.promise;
  }

  /** Resolves once `count` applies have begun. */
  applies(count: number): Promise<void> {
    if (this.applied.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.countWaiters.push({ count, resolve }));
  }

  /** Settles the oldest apply still running. */
  finishApply(result: ApplyResult = { applied: true }): void {
    this.unfinished.shift()!.resolve(result);
  }

  rejected(): void {
    this.rejectedCount++;
  }

  drain(timeoutMs: number): Promise<boolean> {
    this.drainTimeouts.push(timeoutMs);
    this.drainCalled.resolve(timeoutMs);
    return this.draining.promise;
  }

  /** Resolves with the timeout of the drain once it was asked for. */
  drainStarted(): Promise<number> {
    return this.drainCalled.promise;
  }

  abort(): void {
    this.aborted++;
  }

  activity(): LogFields {
    return { inFlight: 0 };
  }

  readonly address: ListenAddress = { host: '127.0.0.1', port: 1 };
  readonly adminAddress = null;
}
