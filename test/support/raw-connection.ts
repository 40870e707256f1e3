import { once } from 'node:events';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * A raw client connection kept open under the test's control: what it received so far, and a
 * promise for the server closing it. For clients that misbehave on purpose (slow heads, stalled
 * bodies, connection floods), where `rawRequest`'s one-shot exchange is not enough.
 */
export interface RawConnection {
  readonly socket: Socket;
  /** Everything received so far (latin1). */
  readonly received: () => string;
  /** Resolves when the connection is gone (closed or reset by the server, or destroyed here). */
  readonly closed: Promise<void>;
  readonly isClosed: () => boolean;
  /** Resolves once `pattern` appears in what was received; rejects if the connection closes first. */
  waitFor(pattern: RegExp): Promise<void>;
  /** Writes `text` one byte at a time, one every `intervalMs`, until done or the connection closes; resolves with the bytes written. */
  dribble(text: string, intervalMs: number): Promise<number>;
  destroy(): void;
}

export interface RawConnectOptions {
  /** Source address (any 127.0.0.0/8 address works on Linux): tests for per-address limits. */
  readonly localAddress?: string;
  /** Connect with TLS (certificate checked against `ca`). */
  readonly tls?: { readonly ca: Buffer; readonly servername: string };
}

export async function openRawConnection(port: number, options: RawConnectOptions = {}): Promise<RawConnection> {
  const socket: Socket = options.tls
    ? connectTls({
        socket: connectTcp({ host: '127.0.0.1', port, localAddress: options.localAddress }),
        ca: options.tls.ca,
        servername: options.tls.servername,
        ALPNProtocols: ['http/1.1'],
      })
    : connectTcp({ host: '127.0.0.1', port, localAddress: options.localAddress });
  let text = '';
  let closed = false;
  const waiters: { pattern: RegExp; resolve: () => void; reject: (error: Error) => void }[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (let i = waiters.length - 1; i >= 0; i--) if (waiters[i].pattern.test(text)) waiters.splice(i, 1)[0].resolve();
  });
  socket.on('error', () => undefined);
  // Not events.once: that rejects on 'error', and a reset is just another way of closing here.
  const closedPromise = new Promise<void>((resolve) => socket.once('close', () => resolve())).then(() => {
    closed = true;
    for (const waiter of waiters.splice(0)) waiter.reject(new Error(`connection closed before ${String(waiter.pattern)}; received: ${JSON.stringify(text)}`));
  });
  // A server that refuses the connection resets it, possibly before 'connect' is seen: then the
  // connection is returned already closed.
  await Promise.race([once(socket, options.tls ? 'secureConnect' : 'connect').catch(() => closedPromise), closedPromise]);
  return {
    socket,
    received: () => text,
    closed: closedPromise,
    isClosed: () => closed,
    waitFor(pattern) {
      if (pattern.test(text)) return Promise.resolve();
      if (closed) return Promise.reject(new Error(`connection closed before ${String(pattern)}; received: ${JSON.stringify(text)}`));
      return new Promise((resolve, reject) => waiters.push({ pattern, resolve, reject }));
    },
    async dribble(payload, intervalMs) {
      let written = 0;
      while (written < payload.length && !closed) {
        socket.write(payload[written]);
        written += 1;
        await Promise.race([new Promise((resolve) => setTimeout(resolve, intervalMs)), closedPromise]);
      }
      return written;
    },
    destroy: () => socket.destroy(),
  };
}

/** A complete HTTP/1.1 request head. */
export function requestHead(method: string, path: string, extraHeaders: readonly string[] = []): string {
  return [`${method} ${path} HTTP/1.1`, 'Host: prox.test', ...extraHeaders, '', ''].join('\r\n');
}
