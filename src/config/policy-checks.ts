import proxyaddr from 'proxy-addr';
import type { DiagnosticList } from './diagnostics';
import { asRecord } from './raw-config';

/** Edge-policy rules the schema cannot express (docs/policies.md). */
export function checkRoutePolicies(at: readonly string[], route: Readonly<Record<string, unknown>>, out: DiagnosticList): void {
  checkIpFilter([...at, 'ip_filter'], route['ip_filter'], out);
}

function checkIpFilter(at: readonly string[], value: unknown, out: DiagnosticList): void {
  const block = asRecord(value);
  if (!block) return;
  for (const list of ['allow', 'deny']) {
    const entries = block[list];
    if (!Array.isArray(entries)) continue;
    entries.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string' || entry === '') return;
      const problem = addressRangeProblem(entry);
      if (problem !== null) out.error([...at, list, String(index)], `"${entry}" is not an IP address or CIDR range: ${problem}`, { hint: 'write an address (192.0.2.7, 2001:db8::1) or a CIDR range (10.0.0.0/8, 2001:db8::/32)' });
    });
  }
}

/** Why `text` is not one address or CIDR range; null when it is. */
export function addressRangeProblem(text: string): string | null {
  // proxy-addr also takes names (loopback, ...) and comma lists; a filter entry is one literal range.
  if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(text)) return 'not an address literal';
  try {
    proxyaddr.compile(text);
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}
