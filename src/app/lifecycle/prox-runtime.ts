import type { ProxConfig } from '../../config/model';
import type { LogFields } from '../../ports/logger';
import type { ConfigSource } from './config-source';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export type ApplyResult = { readonly applied: true } | { readonly applied: false; readonly reason: string };

/**
 * What runs under a lifecycle, and so what "start", "apply a config" and "drain" mean: one
 * ProxServer in this process (single process, a worker, the programmatic API), or worker
 * processes steered over IPC (the supervisor).
 */
export interface ProxRuntime {
  /** Listen with the first config; on failure, clean up whatever started and reject. */
  start(config: ProxConfig): Promise<void>;
  /** Apply a validated config (one at a time: the lifecycle serializes); logs its own result. */
  apply(config: ProxConfig, reload: { readonly file: string; readonly trigger: string }): Promise<ApplyResult>;
  /** Count a reload refused by validation. */
  rejected(): void;
  /** Stop accepting, let what is in flight finish within `timeoutMs`, close; resolves with whether everything finished. */
  drain(timeoutMs: number): Promise<boolean>;
  /** Cut everything at once (before the process exits on a second stop signal). */
  abort(): void;
  /** Fields that describe the work left, for the "shutting down" log line. */
  activity(): LogFields;
  /** What reloads read: the admin's `POST /reload?dry_run=1` previews it. Told once, before start. */
  useConfigSource(source: ConfigSource): void;
  /** The public listener, once started. */
  readonly address: ListenAddress;
  /** The admin listener, or null when `admin` is off. */
  readonly adminAddress: ListenAddress | null;
}
