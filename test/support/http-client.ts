import { request as httpRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { once } from 'node:events';

export interface ClientResponse {
  readonly status: number;
  readonly headers: IncomingMessage['headers'];
  readonly rawHeaders: string[];
  readonly body: string;
}

/** One request on a fresh connection (no agent pooling), body read whole. */
export async function send(
  url: string,
  options: { method?: string; headers?: OutgoingHttpHeaders; body?: string | Buffer } = {},
): Promise<ClientResponse> {
  const req = httpRequest(url, { method: options.method ?? 'GET', headers: options.headers, agent: false });
  req.end(options.body);
  const [res] = (await once(req, 'response')) as [IncomingMessage];
  const chunks: Buffer[] = [];
  for await (const chunk of res) chunks.push(chunk as Buffer);
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    rawHeaders: res.rawHeaders,
    body: Buffer.concat(chunks).toString('utf8'),
  };
}

export function json<T = Record<string, unknown>>(response: ClientResponse): T {
  return JSON.parse(response.body) as T;
}

/** Header values by (case-insensitive) name, in the order received. */
export function headerValues(rawHeaders: string[], name: string): string[] {
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].toLowerCase() === name) values.push(rawHeaders[i + 1]);
  }
  return values;
}
