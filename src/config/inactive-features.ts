import type { DiagnosticList } from './diagnostics';
import { asRecord } from './raw-config';

/** The release whose feature set the warnings describe. */
export const FEATURE_LEVEL = 'prox 0.1';

const TOP_LEVEL_FIELDS = ['tls', 'protocols'] as const;

/**
 * Prox config that this version validates but does not act on yet. A file written for Prox must
 * keep loading, yet silently ignoring e.g. TLS settings would be a nasty surprise, so each such
 * field gets a warning at the line where it is set.
 */
export function reportInactiveFeatures(data: unknown, out: DiagnosticList): void {
  const config = asRecord(data);
  if (!config) return;
  for (const field of TOP_LEVEL_FIELDS) {
    if (field in config) out.warning([field], inactiveMessage(field), { anchor: 'key' });
  }
}

function inactiveMessage(field: string): string {
  return `"${field}" is accepted but not active yet in ${FEATURE_LEVEL}: it has no effect`;
}
