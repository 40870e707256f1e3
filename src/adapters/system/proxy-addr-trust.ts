import proxyaddr from 'proxy-addr';

/** Compiles the configured trusted proxies (IPs / CIDRs) into a fast membership test. */
export function trustPredicateFor(trustedProxies: readonly string[]): (address: string) => boolean {
  if (trustedProxies.length === 0) return () => false;
  const trust = proxyaddr.compile([...trustedProxies]);
  return (address) => trust(address, 0);
}
