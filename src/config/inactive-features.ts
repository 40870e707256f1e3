import type { DiagnosticList } from './diagnostics';
import { asRecord } from './raw-config';

/** The release whose feature set the warnings describe. */
export const FEATURE_LEVEL = 'prox 0.1';

/** Fields of `protocols` that are active; every other key is not. */
const ACTIVE_PROTOCOL_FIELDS = new Set(['http2_enabled', 'http2_max_concurrent_streams', 'http2_max_frame_size', 'websocket_enabled']);


/**
 * Prox config that this version validates but does not act on yet. A file written for Prox must
 * keep loading, yet silently ignoring e.g. HTTP/3 settings would be a nasty surprise, so each such
 * field gets a warning at the line where it is set.
 */
export function reportInactiveFeatures(data: unknown, out: DiagnosticList): void {
  const config = asRecord(data);
  if (!config) return;
  const tls = asRecord(config['tls']);
  const acme = tls ? asRecord(tls['acme']) : undefined;
  if (acme && acme['enabled'] !== true) {
    out.warning(['tls', 'acme'], 'tls.acme is not enabled (enabled: true turns it on): it has no effect', { anchor: 'key' });
  }
  const protocols = asRecord(config['protocols']);
  if (protocols) {
    for (const field of Object.keys(protocols)) {
      if (!ACTIVE_PROTOCOL_FIELDS.has(field)) out.warning(['protocols', field], inactiveMessage(`protocols.${field}`), { anchor: 'key' });
    }
  }
}

function inactiveMessage(field: string): string {
  return `"${field}" is accepted but not active yet in ${FEATURE_LEVEL}: it has no effect`;
}
