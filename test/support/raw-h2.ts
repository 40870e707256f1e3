import { once } from 'node:events';
import { connect, type TLSSocket } from 'node:tls';

/** HTTP/2 frame types (RFC 9113 §6). */
export const FRAME = { DATA: 0, HEADERS: 1, RST_STREAM: 3, SETTINGS: 4, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
export const FLAG = { END_STREAM: 1, ACK: 1, END_HEADERS: 4 } as const;
export const ERROR = { NO_ERROR: 0, PROTOCOL_ERROR: 1, INTERNAL_ERROR: 2, REFUSED_STREAM: 7, CANCEL: 8, ENHANCE_YOUR_CALM: 11 } as const;

export interface Frame {
  readonly type: number;
  readonly flags: number;
  readonly streamId: number;
  readonly payload: Buffer;
}

/** One frame on the wire. */
export function frame(type: number, flags: number, streamId: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head.writeUInt8(type, 3);
  head.writeUInt8(flags, 4);
  head.writeUInt32BE(streamId & 0x7fffffff, 5);
  return Buffer.concat([head, payload]);
}

function hpackInteger(value: number, prefixBits: number, firstByte: number): number[] {
  const max = (1 << prefixBits) - 1;
  if (value < max) return [firstByte | value];
  const out = [firstByte | max];
  value -= max;
  while (value >= 128) {
    out.push((value % 128) + 128);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}

function hpackString(text: string | Buffer): Buffer {
  const bytes = typeof text === 'string' ? Buffer.from(text, 'latin1') : text;
  return Buffer.concat([Buffer.from(hpackInteger(bytes.length, 7, 0)), bytes]);
}

/**
 * A header block with every field a literal without indexing and without Huffman coding, so a
 * test can put any byte (CR, LF, NUL) in a value: exactly what an attacker's encoder can do.
 */
export function headerBlock(fields: readonly (readonly [string, string | Buffer])[]): Buffer {
  return Buffer.concat(fields.map(([name, value]) => Buffer.concat([Buffer.from([0x00]), hpackString(name), hpackString(value)])));
}

export function rstStream(streamId: number, code: number): Buffer {
  const payload = Buffer.alloc(4);
  payload.writeUInt32BE(code);
  return frame(FRAME.RST_STREAM, 0, streamId, payload);
}

/** A raw HTTP/2 client over TLS: writes frames as given, records every frame the server sends. */
export class RawH2Client {
  readonly frames: Frame[] = [];
  private buffer = Buffer.alloc(0);
  private waiters: { test: (frame: Frame) => boolean; resolve: (frame: Frame | null) => void }[] = [];
  closed = false;

  private constructor(readonly socket: TLSSocket) {
    socket.on('data', (chunk: Buffer) => this.take(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      for (const waiter of this.waiters.splice(0)) waiter.resolve(null);
    });
  }

  static async connect(port: number, options: { ca: Buffer; servername: string }): Promise<RawH2Client> {
    const socket = connect({ host: '127.0.0.1', port, ca: options.ca, servername: options.servername, ALPNProtocols: ['h2'] });
    await once(socket, 'secureConnect');
    if (socket.alpnProtocol !== 'h2') throw new Error(`ALPN chose ${String(socket.alpnProtocol)}`);
    const client = new RawH2Client(socket);
    socket.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1'), frame(FRAME.SETTINGS, 0, 0)]));
    const settings = await client.next((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0);
    if (settings === null) throw new Error('no SETTINGS from the server');
    socket.write(frame(FRAME.SETTINGS, FLAG.ACK, 0));
    return client;
  }

  /** The server's SETTINGS as id → value. */
  settings(): Map<number, number> {
    const out = new Map<number, number>();
    const first = this.frames.find((f) => f.type === FRAME.SETTINGS && (f.flags & FLAG.ACK) === 0);
    if (first === undefined) return out;
    for (let i = 0; i + 6 <= first.payload.length; i += 6) out.set(first.payload.readUInt16BE(i), first.payload.readUInt32BE(i + 2));
    return out;
  }

  write(bytes: Buffer): boolean {
    return this.socket.write(bytes);
  }

  /** The next frame (already received or still to come) matching `test`; null when the connection closed first. */
  next(test: (frame: Frame) => boolean): Promise<Frame | null> {
    const seen = this.frames.find(test);
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.closed) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push({ test, resolve }));
  }

  goaway(): Promise<{ lastStreamId: number; code: number } | null> {
    return this.next((f) => f.type === FRAME.GOAWAY).then((f) => (f === null ? null : { lastStreamId: f.payload.readUInt32BE(0) & 0x7fffffff, code: f.payload.readUInt32BE(4) }));
  }

  close(): void {
    this.socket.destroy();
  }

  private take(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 9) {
      const length = this.buffer.readUIntBE(0, 3);
      if (this.buffer.length < 9 + length) break;
      const f: Frame = { type: this.buffer[3], flags: this.buffer[4], streamId: this.buffer.readUInt32BE(5) & 0x7fffffff, payload: this.buffer.subarray(9, 9 + length) };
      this.buffer = this.buffer.subarray(9 + length);
      this.frames.push(f);
      for (let i = this.waiters.length - 1; i >= 0; i--) {
        if (this.waiters[i].test(f)) this.waiters.splice(i, 1)[0].resolve(f);
      }
    }
  }
}

/** The request pseudo-headers plus extra fields, for `headerBlock`. */
export function requestFields(authority: string, path = '/', extra: readonly (readonly [string, string | Buffer])[] = []): (readonly [string, string | Buffer])[] {
  return [[':method', 'GET'], [':scheme', 'https'], [':authority', authority], [':path', path], ...extra] as const;
}
