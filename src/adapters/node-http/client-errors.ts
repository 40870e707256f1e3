import type { Socket } from 'node:net';
import { statusLine } from '../http-common/status-lines';
import type { ConnectionPolicy } from './connection-policy';

/** The in-flight response node keeps on a socket (not in its typings). */
interface SocketWithMessage extends Socket {
  _httpMessage?: { headersSent: boolean; finished: boolean; shouldKeepAlive: boolean; once(event: 'finish', f: () => void): void } | null;
}

const ANSWERS: Record<string, { status: number; code: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: 'request_header_fields_too_large' },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: 'request_timeout' },
};
const BAD_REQUEST = { status: 400, code: 'bad_request' };

/**
 * node's parser refused the bytes on a connection (malformed request line or headers, bad
 * framing, oversized head, head too slow). The client gets prox's short JSON error and the
 * connection closes: after a parse error nothing more on it can be trusted.
 */
export function clientErrorListener(policy: ConnectionPolicy): (error: NodeJS.ErrnoException, socket: Socket) => void {
  return (error, socket) => answerClientError(error, socket, policy);
}

/** The client closed its side (or reset) mid-request: there is nobody left to answer. */
const GONE = new Set(['ECONNRESET', 'EPIPE', 'HPE_INVALID_EOF_STATE']);

function answerClientError(error: NodeJS.ErrnoException, socket: Socket, policy: ConnectionPolicy): void {
  const code = error.code ?? '';
  if (GONE.has(code) || !socket.writable) {
    socket.destroy();
    return;
  }
  const pending = (socket as SocketWithMessage)._httpMessage;
  if (pending && !pending.finished) {
    // An earlier response is still being written: it finishes, then the connection closes.
    policy.markClosing(socket);
    if (!pending.headersSent) pending.shouldKeepAlive = false;
    else pending.once('finish', () => socket.destroySoon());
    return;
  }
  if (policy.isClosing(socket)) {
    // Bytes after a request whose answer closes the connection: that answer was the last word.
    socket.destroySoon();
    return;
  }
  const answer = ANSWERS[code] ?? BAD_REQUEST;
  const body = JSON.stringify({ error: answer.code, status: answer.status });
  socket.end(
    `HTTP/1.1 ${statusLine(answer.status)}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `connection: close\r\n\r\n${body}`,
  );
}
