/**
 * Values used when a field is omitted. `config.schema.json` repeats them as `default`
 * annotations for editors and docs; a test keeps the two in step.
 */
export const DEFAULTS = {
  shutdownTimeoutSecs: 30,
  trustedProxies: [] as readonly string[],
  maxHeaderBytes: 16384,
  maxHeaders: 100,
  maxBodyBytes: null as number | null,
  strategy: 'round_robin',
  redirectStatus: 307,
  preserveHost: false,
  timeoutSecs: 60,
  connectTimeoutSecs: 5,
} as const;
