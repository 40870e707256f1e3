import { connect } from 'node:net';
import type { HealthProbe, ProbeRequest, ProbeResult } from '../../ports/health-probe';

const TCP_SCHEME = 'tcp://';

/** TCP connect checks: a `tcp://host:port` origin passes when it accepts a connection in time. */
export function probeTcpConnect(authority: string, timeoutMs: number): Promise<ProbeResult> {
  const colon = authority.lastIndexOf(':');
  const host = authority.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(authority.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const finish = (result: ProbeResult): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ kind: 'failed', detail: `no connect within ${timeoutMs} ms` }), timeoutMs);
    socket.once('connect', () => finish({ kind: 'connected' }));
    socket.once('error', (error: NodeJS.ErrnoException) => finish({ kind: 'failed', detail: `connect failed: ${error.code ?? error.message}` }));
  });
}

/** The health probe of the process: `tcp://` origins are connect-checked, the rest go to `http`. */
export function withTcpConnectChecks<P extends HealthProbe & { close?(): Promise<void> }>(http: P): HealthProbe & { close(): Promise<void> } {
  return {
    probe(request: ProbeRequest): Promise<ProbeResult> {
      return request.origin.startsWith(TCP_SCHEME) ? probeTcpConnect(request.authority, request.timeoutMs) : http.probe(request);
    },
    async close(): Promise<void> {
      await http.close?.();
    },
  };
}
