import { Agent, request } from 'undici';
import type { AuthCheckRequest, AuthCheckResult, AuthService } from '../../ports/auth-service';

/** A denial body is shown to the client; more than this is cut (it is a login page or a short error). */
const MAX_ANSWER_BODY_BYTES = 64 * 1024;

/** Forward-auth checks on undici, with their own connection pool so they never queue behind proxied traffic. */
export class UndiciAuthService implements AuthService {
  private readonly agent = new Agent({ connections: 64, pipelining: 1, keepAliveTimeout: 4_000 });

  async check(check: AuthCheckRequest): Promise<AuthCheckResult> {
    const signal = AbortSignal.timeout(check.timeoutMs);
    try {
      const response = await request(check.url, { method: check.method as 'GET', headers: [...check.headers], dispatcher: this.agent, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        if (size < MAX_ANSWER_BODY_BYTES) chunks.push(chunk);
        size += chunk.byteLength;
      }
      const headers: string[] = [];
      for (const [name, value] of Object.entries(response.headers)) {
        if (value === undefined) continue;
        for (const one of Array.isArray(value) ? value : [value]) headers.push(name.toLowerCase(), one);
      }
      return { kind: 'answer', status: response.statusCode, headers, body: Buffer.concat(chunks).subarray(0, MAX_ANSWER_BODY_BYTES) };
    } catch (error) {
      const failure = error as Error & { code?: string };
      return { kind: 'failed', detail: signal.aborted ? `no answer within ${check.timeoutMs} ms` : `${failure.code ?? failure.name}: ${failure.message}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
