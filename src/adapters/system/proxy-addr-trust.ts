import proxyaddr from 'proxy-addr';

const EVERYWHERE_HALVES: Readonly<Record<string, readonly string[]>> = {
  '0.0.0.0/0': ['0.0.0.0/1', '128.0.0.0/1'],
  '::/0': ['::/1', '8000::/1'],
};

/** Compiles the configured trusted proxies (IPs / CIDRs) into a fast membership test. */
export function trustPredicateFor(trustedProxies: readonly string[]): (address: string) => boolean {
  if (trustedProxies.length === 0) return () => false;
  // proxy-addr refuses /0 ranges; their two halves trust the same addresses.
  const ranges = trustedProxies.flatMap((entry) => EVERYWHERE_HALVES[entry] ?? [entry]);
  const trust = proxyaddr.compile(ranges);
  return (address) => trust(address, 0);
}
