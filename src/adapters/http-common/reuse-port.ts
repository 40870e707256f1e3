/**
 * node:http can share a port between processes (SO_REUSEPORT, `listen({ reusePort })`) from
 * Node 22.12 / 23.1 on; older versions ignore the option and fail with EADDRINUSE.
 */
export function supportsReusePort(version: string = process.versions.node): boolean {
  const [major, minor] = version.split('.').map(Number);
  if (major === 22) return minor >= 12;
  if (major === 23) return minor >= 1;
  return major > 23;
}
