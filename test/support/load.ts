import { Agent, request } from 'undici';

export interface LoadReport {
  readonly sent: number;
  readonly ok: number;
  /** Non-2xx statuses and transport errors, described. */
  readonly failures: string[];
  /** Response bodies seen, counted (backends answer with their name). */
  readonly bodies: Map<string, number>;
}

/**
 * Keeps `concurrency` keep-alive clients sending GETs until `stop()` or `maxRequests` is reached
 * (a bound, so a test can never spin forever). Every outcome is recorded; nothing is retried.
 */
export function startLoad(url: string, concurrency: number, maxRequests: number): { stop(): Promise<LoadReport> } {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  let stopping = false;
  let sent = 0;
  let ok = 0;
  const failures: string[] = [];
  const bodies = new Map<string, number>();
  const worker = async (): Promise<void> => {
    while (!stopping && sent < maxRequests) {
      sent++;
      try {
        const response = await request(url, { dispatcher: agent });
        const body = await response.body.text();
        if (response.statusCode >= 200 && response.statusCode < 300) ok++;
        else failures.push(`status ${response.statusCode}: ${body}`);
        bodies.set(body, (bodies.get(body) ?? 0) + 1);
      } catch (error) {
        failures.push(`error: ${(error as Error).message}`);
      }
    }
  };
  const workers = Array.from({ length: concurrency }, () => worker());
  return {
    async stop() {
      stopping = true;
      await Promise.all(workers);
      await agent.close();
      return { sent, ok, failures, bodies };
    },
  };
}
