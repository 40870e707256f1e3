import { Agent, request } from 'undici';
import type { KeySetFetcher, KeySetFetchResult } from '../../ports/json-web-tokens';

/** A key set is a few keys; anything larger is not one. */
const MAX_KEY_SET_BYTES = 1024 * 1024;

/** JWKS fetches on undici, on a pool of their own (a slow identity provider never holds proxied traffic). */
export class UndiciKeySetFetcher implements KeySetFetcher {
  private readonly agent = new Agent({ connections: 4, keepAliveTimeout: 4_000 });

  async fetch(url: string, timeoutMs: number): Promise<KeySetFetchResult> {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      const response = await request(url, { method: 'GET', headers: { accept: 'application/jwk-set+json, application/json' }, dispatcher: this.agent, signal });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of response.body as AsyncIterable<Buffer>) {
        size += chunk.byteLength;
        if (size > MAX_KEY_SET_BYTES) {
          response.body.destroy();
          return { kind: 'failed', detail: `the key set is larger than ${MAX_KEY_SET_BYTES} bytes` };
        }
        chunks.push(chunk);
      }
      if (response.statusCode < 200 || response.statusCode > 299) return { kind: 'failed', detail: `the key set URL answered ${response.statusCode}` };
      const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const keys = (parsed as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys) || !keys.every((key) => typeof key === 'object' && key !== null && !Array.isArray(key))) {
        return { kind: 'failed', detail: 'the answer is not a JSON Web Key Set ({"keys": [...]})' };
      }
      return { kind: 'keys', keySet: { keys } };
    } catch (error) {
      const failure = error as Error & { code?: string };
      return { kind: 'failed', detail: signal.aborted ? `no answer within ${timeoutMs} ms` : `${failure.code ?? failure.name}: ${failure.message}` };
    }
  }

  async close(): Promise<void> {
    await this.agent.close().catch(() => undefined);
  }
}
