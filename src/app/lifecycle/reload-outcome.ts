import type { Diagnostic } from '../../config/model';

/** How one reload ended; what `reload()` of the programmatic API answers. */
export interface ReloadOutcome {
  /**
   * `applied`: the new config runs. `invalid`: validation refused the file (see `errors`), the
   * running config stays. `failed`: valid but could not be applied (see `reason`), e.g. the new
   * listen address is taken or prox is shutting down; the running config stays.
   */
  readonly status: 'applied' | 'invalid' | 'failed';
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
  /** Why it was not applied; null when applied or invalid. */
  readonly reason: string | null;
}

export function shuttingDown(): ReloadOutcome {
  return { status: 'failed', errors: [], warnings: [], reason: 'shutting down' };
}
