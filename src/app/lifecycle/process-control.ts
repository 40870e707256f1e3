/** The signals the lifecycle reacts to. */
export type LifecycleSignal = 'SIGTERM' | 'SIGINT' | 'SIGHUP';

/**
 * The process a lifecycle runs in, as far as the lifecycle touches it: `process` in production
 * (`nodeProcessControl`), a fake in unit tests. The programmatic API passes none: the embedding
 * application owns its process.
 */
export interface ProcessControl {
  /** Calls `listener` on each `signal` until the returned function is called. */
  onSignal(signal: LifecycleSignal, listener: () => void): () => void;
  /** Ends the process at once with a failure code ("stop now" after a second stop signal). */
  exitNow(): void;
}

/** What each signal means to one kind of process. */
export interface SignalRoles {
  /** First one drains; one more while stopping means "now". */
  readonly stop: readonly LifecycleSignal[];
  readonly reload: readonly LifecycleSignal[];
  /** Taken and ignored, so their default action (exit) does not apply. */
  readonly ignore: readonly LifecycleSignal[];
}

/** `prox serve` and the supervisor: the operator's SIGTERM/SIGINT stop, SIGHUP reloads. */
export const SERVE_SIGNALS: SignalRoles = { stop: ['SIGTERM', 'SIGINT'], reload: ['SIGHUP'], ignore: [] };

/**
 * A worker: the terminal sends Ctrl-C and hang-up to the whole process group, but the
 * supervisor decides; it stops a worker with SIGTERM and reloads it over IPC.
 */
export const WORKER_SIGNALS: SignalRoles = { stop: ['SIGTERM'], reload: [], ignore: ['SIGINT', 'SIGHUP'] };

export const nodeProcessControl: ProcessControl = {
  onSignal(signal, listener) {
    process.on(signal, listener);
    return () => process.off(signal, listener);
  },
  exitNow() {
    process.exit(1);
  },
};
