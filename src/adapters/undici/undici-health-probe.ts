import { Agent, request } from 'undici';
import type { HealthProbe, ProbeRequest, ProbeResult } from '../../ports/health-probe';
import type { UpstreamTls } from '../../ports/upstream-client';
import { tlsConnectOptions } from '../http-common/upstream-tls-options';

const AGENT_OPTIONS = { connections: 2, pipelining: 1, keepAliveTimeout: 4_000 } as const;

/**
 * HealthProbe on undici, with its own connection pools so probes never queue behind (or take
 * sockets from) live traffic, and a probe measures whether the backend answers a new request.
 * https:// backends are probed with the TLS settings of their traffic: one agent per settings id.
 */
export class UndiciHealthProbe implements HealthProbe {
  private readonly agent = new Agent(AGENT_OPTIONS);
  private readonly tlsAgents = new Map<string, Agent>();

  async probe(probe: ProbeRequest): Promise<ProbeResult> {
    const signal = AbortSignal.timeout(probe.timeoutMs);
    try {
      const response = await request(probe.origin + probe.path, {
        method: probe.method,
        headers: { host: probe.authority, 'user-agent': 'prox-health-check' },
        dispatcher: this.agentFor(probe.tls),
        // The configured SNI name, never one taken from the Host header.
        ...(probe.tls?.serverName ? { servername: probe.tls.serverName } : {}),
        // One deadline for the whole probe, body included.
        signal,
      });
      const body = await readPrefix(response.body as unknown as ProbeBody, probe.maxBodyBytes);
      return { kind: 'response', status: response.statusCode, body };
    } catch (error) {
      const failure = error as Error & { code?: string };
      const detail = signal.aborted ? `no answer within ${probe.timeoutMs} ms` : `${failure.code ?? failure.name}: ${failure.message}`;
      return { kind: 'failed', detail };
    }
  }

  async close(): Promise<void> {
    const agents = [this.agent, ...this.tlsAgents.values()];
    this.tlsAgents.clear();
    await Promise.all(agents.map((agent) => agent.close().catch(() => undefined)));
  }

  private agentFor(tls: UpstreamTls | null): Agent {
    if (tls === null) return this.agent;
    let agent = this.tlsAgents.get(tls.id);
    if (agent === undefined) {
      agent = new Agent({ ...AGENT_OPTIONS, connect: tlsConnectOptions(tls) });
      this.tlsAgents.set(tls.id, agent);
    }
    return agent;
  }
}

type ProbeBody = AsyncIterable<Buffer> & { dump(options?: { limit: number }): Promise<void>; on(event: 'error', listener: () => void): unknown };

/** Reads up to `limit` bytes as UTF-8; the rest is discarded, never buffered. */
async function readPrefix(body: ProbeBody, limit: number): Promise<string> {
  // A probe's body errors are the probe's result, never the process's problem.
  body.on('error', () => undefined);
  if (limit === 0) {
    await body.dump({ limit: 64 * 1024 });
    return '';
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    chunks.push(chunk);
    size += chunk.byteLength;
    // Leaving the loop early closes the body quietly.
    if (size >= limit) break;
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
