import { Agent, request } from 'undici';
import type { HealthProbe, ProbeRequest, ProbeResult } from '../../ports/health-probe';

/**
 * HealthProbe on undici, with its own connection pool so probes never queue behind (or take
 * sockets from) live traffic, and a probe measures whether the backend answers a new request.
 */
export class UndiciHealthProbe implements HealthProbe {
  private readonly agent = new Agent({ connections: 2, pipelining: 1, keepAliveTimeout: 4_000 });

  async probe(probe: ProbeRequest): Promise<ProbeResult> {
    const signal = AbortSignal.timeout(probe.timeoutMs);
    try {
      const response = await request(probe.origin + probe.path, {
        method: probe.method,
        headers: { host: probe.authority, 'user-agent': 'prox-health-check' },
        dispatcher: this.agent,
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
    await this.agent.close().catch(() => undefined);
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
