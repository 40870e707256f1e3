import { connect, Socket } from 'node:net';
import { once } from 'node:events';

export interface RawExchange {
  /** Everything the server sent before it closed the connection (or before `settle`). */
  readonly text: string;
  /** Whether the server closed the connection. */
  readonly closedByServer: boolean;
}

/**
 * Sends raw bytes and collects the answer until the server closes the connection, or until
 * `untilText` appears (then the client closes). A bounded wait: `timeoutMs` ends it regardless
 * and marks it as not closed by the server.
 */
export async function rawRequest(
  port: number,
  payload: string | Buffer,
  options: { untilText?: RegExp; timeoutMs?: number } = {},
): Promise<RawExchange> {
  const socket: Socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.setEncoding('latin1');
  return new Promise((resolve) => {
    let settled = false;
    const finish = (closedByServer: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ text, closedByServer });
    };
    const timer = setTimeout(() => finish(false), options.timeoutMs ?? 5_000);
    socket.on('data', (chunk: string) => {
      text += chunk;
      if (options.untilText?.test(text)) finish(false);
    });
    socket.on('end', () => finish(true));
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.write(payload);
  });
}

/** Status codes of every response in a raw HTTP/1.1 byte stream, in order. */
export function statusCodes(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));
}
