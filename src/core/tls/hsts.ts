import type { HstsSettings } from '../model';

/** The Strict-Transport-Security value for the settings (RFC 6797 §6.1). */
export function hstsHeaderValue(hsts: HstsSettings): string {
  let value = `max-age=${hsts.maxAgeSecs}`;
  if (hsts.includeSubdomains) value += '; includeSubDomains';
  if (hsts.preload) value += '; preload';
  return value;
}
