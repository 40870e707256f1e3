/** Whether a request asks for a WebSocket (RFC 6455 §4.1): GET, `Upgrade: websocket`, `Connection: upgrade`, a key. */
export function isWebSocketUpgrade(method: string, headers: readonly string[]): boolean {
  if (method !== 'GET') return false;
  let upgrade = false;
  let connection = false;
  let key = false;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i];
    if (name === 'upgrade') upgrade ||= hasToken(headers[i + 1], 'websocket');
    else if (name === 'connection') connection ||= hasToken(headers[i + 1], 'upgrade');
    else if (name === 'sec-websocket-key') key = true;
  }
  return upgrade && connection && key;
}

function hasToken(value: string, token: string): boolean {
  for (const part of value.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/** A close frame's payload: the code (big-endian) and a reason cut to fit a control frame. */
export function closePayload(code: number, reason: string): Buffer {
  const text = Buffer.from(reason, 'utf8').subarray(0, 123);
  const payload = Buffer.allocUnsafe(2 + text.length);
  payload.writeUInt16BE(code, 0);
  text.copy(payload, 2);
  return payload;
}
