import type { Duplex } from 'node:stream';
import type { HttpExchange } from '../../ports/http-server';
import type { UpstreamCall, UpstreamClient, UpstreamFailure, UpstreamFlow, UpstreamUpgradeHandler } from '../../ports/upstream-client';
import type { UpgradedStream } from '../../ports/upgraded-stream';
import type { WebSocketCloser, WebSocketDirection, WebSocketEvents, WebSocketLimits, WebSocketPlan, WebSocketSession, WebSocketUpgrade } from '../../ports/websocket';
import { buildClientResponseHead } from '../../core/forwarding/response-headers';
import { closePayload } from './websocket-request';

/** After prox closes a session, peers that do not finish the close handshake are cut after this. */
const CLOSE_GRACE_MS = 2_000;

/**
 * The WebSocket upgrade of an engine that can hand over the client's socket (node:http, HTTPS/1.1):
 * the upgrade request goes upstream through the UpstreamClient; a refusal is relayed as an HTTP
 * answer through the exchange; after a 101 the two connections are piped byte for byte, with
 * frame boundaries tracked (no unmasking but close payloads) so prox can count messages, enforce
 * the message size and inject close frames.
 */
export class TunnelUpgrade implements WebSocketUpgrade {
  constructor(
    private readonly exchange: HttpExchange,
    private readonly client: Duplex,
    private readonly clientHead: Buffer,
    /** Releases the client's socket from the HTTP response machinery before the 101 is written raw. */
    private readonly takeOver: () => void,
  ) {}

  proxy(plan: WebSocketPlan, upstreams: UpstreamClient, events: WebSocketEvents): WebSocketSession {
    const handshake = new TunnelHandshake(this.exchange, this.client, this.clientHead, this.takeOver, plan, events);
    handshake.started(upstreams.upgrade(plan.upstream, handshake));
    return handshake;
  }
}

class TunnelHandshake implements UpstreamUpgradeHandler, WebSocketSession {
  private call: UpstreamCall | null = null;
  /** The client left before the upstream call existed (a TLS client that sent its upgrade and closed at once). */
  private abortOnStart = false;
  private tunnel: Tunnel | null = null;
  private refusing = false;
  private closeRequested: { code: number; reason: string } | null = null;

  constructor(
    private readonly exchange: HttpExchange,
    private readonly client: Duplex,
    private readonly clientHead: Buffer,
    private readonly takeOver: () => void,
    private readonly plan: WebSocketPlan,
    private readonly events: WebSocketEvents,
  ) {
    exchange.onClientGone(() => {
      if (this.tunnel !== null) return;
      if (this.call === null) this.abortOnStart = true;
      else this.leave(this.call);
    });
  }

  /**
   * The upstream call, once made. A client already gone by then (a TLS client that sent its
   * upgrade and closed at once: onClientGone ran before) gets it aborted here.
   */
  started(call: UpstreamCall): void {
    this.call = call;
    if (this.abortOnStart) this.leave(call);
  }

  /** An aborted call reports nothing more: the core is told here, or the request stays in flight for good (and shutdown waits on it). */
  private leave(call: UpstreamCall): void {
    call.abort();
    // Relaying a refusal: the answer was the upstream's (its status is the record's); else nothing came yet.
    if (this.refusing) this.events.refused(this.refusedStatus);
    else this.events.clientLeft();
  }

  close(code: number, reason: string): void {
    if (this.tunnel !== null) this.tunnel.closeBoth(code, reason);
    else this.closeRequested = { code, reason };
  }

  onUpstreamUpgrade(status: number, headers: string[], stream: UpgradedStream): void {
    if (this.exchange.finished || this.client.destroyed) {
      stream.destroy();
      return;
    }
    this.takeOver();
    const idHeader = this.plan.answerHeaders[0];
    let head = `HTTP/1.1 ${status} Switching Protocols\r\n`;
    for (let i = 0; i < headers.length; i += 2) if (headers[i] !== idHeader) head += `${headers[i]}: ${headers[i + 1]}\r\n`;
    for (let i = 0; i < this.plan.answerHeaders.length; i += 2) head += `${this.plan.answerHeaders[i]}: ${this.plan.answerHeaders[i + 1]}\r\n`;
    this.client.write(head + '\r\n');
    this.tunnel = new Tunnel(this.client, stream, this.plan.limits, this.events);
    this.events.opened();
    this.tunnel.start(this.clientHead);
    if (this.closeRequested !== null) this.tunnel.closeBoth(this.closeRequested.code, this.closeRequested.reason);
  }

  onUpstreamResponse(status: number, headers: string[], flow: UpstreamFlow): void {
    this.refusing = true;
    this.flowHandle = flow;
    const head = buildClientResponseHead(headers, this.plan.answerHeaders[0]);
    for (const header of this.plan.answerHeaders) head.headers.push(header);
    this.exchange.startResponse(status, head.headers, head.contentLength);
    this.refusedStatus = status;
  }

  private flowHandle: UpstreamFlow | null = null;
  private refusedStatus = 0;

  onUpstreamData(chunk: Uint8Array): boolean {
    if (this.exchange.finished) {
      // Nobody will read the rest: stop the upstream instead of pausing it forever.
      if (this.call !== null) this.leave(this.call);
      return false;
    }
    if (this.exchange.write(chunk)) return true;
    this.exchange.onWritable(() => this.flowHandle?.resume());
    return false;
  }

  onUpstreamEnd(): void {
    this.exchange.end();
    this.events.refused(this.refusedStatus);
  }

  onUpstreamError(failure: UpstreamFailure): void {
    if (!this.refusing) return this.events.handshakeFailed(failure);
    this.exchange.abort();
    this.events.refused(this.refusedStatus);
  }
}

/** Where one direction of the tunnel is in the frame stream. */
class FrameCursor {
  /** Bytes of a frame header collected so far (a header may straddle chunks). */
  private header = Buffer.alloc(14);
  private headerHave = 0;
  /** Payload bytes of the current frame still to pass. */
  remaining = 0;
  private opcode = 0;
  private fin = false;
  private mask: Buffer | null = null;
  /** Payload of the current close frame, collected to read its code. */
  private control: Buffer[] | null = null;
  private messageBytes = 0;
  /** A close frame went this way: its code (1005 when it had none). */
  closeCode: number | null = null;
  /** Drop everything from here on (prox closed this direction). */
  stopped = false;
  /** Close frame to write out once the current frame is through. */
  pendingClose: Buffer | null = null;

  constructor(
    readonly direction: WebSocketDirection,
    private readonly source: Duplex | UpgradedStream,
    private readonly sink: Duplex | UpgradedStream,
    private readonly limits: WebSocketLimits,
    private readonly owner: Tunnel,
  ) {}

  get atBoundary(): boolean {
    return this.headerHave === 0 && this.remaining === 0;
  }

  /** Relay one chunk from the source, frame by frame. */
  feed(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && !this.stopped) {
      if (this.remaining > 0) {
        const take = Math.min(this.remaining, chunk.length - at);
        const piece = chunk.subarray(at, at + take);
        this.control?.push(piece);
        this.write(piece);
        this.remaining -= take;
        at += take;
        if (this.remaining === 0) this.frameDone();
        continue;
      }
      const needed = this.headerLength();
      const take = Math.min(needed - this.headerHave, chunk.length - at);
      chunk.copy(this.header, this.headerHave, at, at + take);
      this.headerHave += take;
      at += take;
      if (this.headerHave < this.headerLength()) continue;
      this.frameStart();
    }
  }

  /** Header bytes this frame needs, as far as known from what arrived. */
  private headerLength(): number {
    if (this.headerHave < 2) return 2;
    const length7 = this.header[1] & 0x7f;
    const masked = (this.header[1] & 0x80) !== 0;
    return 2 + (length7 === 126 ? 2 : length7 === 127 ? 8 : 0) + (masked ? 4 : 0);
  }

  private frameStart(): void {
    const h = this.header;
    this.fin = (h[0] & 0x80) !== 0;
    this.opcode = h[0] & 0x0f;
    const length7 = h[1] & 0x7f;
    let offset = 2;
    let length = length7;
    if (length7 === 126) {
      length = h.readUInt16BE(2);
      offset = 4;
    } else if (length7 === 127) {
      length = Number(h.readBigUInt64BE(2));
      offset = 10;
    }
    this.mask = (h[1] & 0x80) !== 0 ? Buffer.from(h.subarray(offset, offset + 4)) : null;
    const headerBytes = Buffer.from(h.subarray(0, this.headerHave));
    this.headerHave = 0;
    this.remaining = length;
    const isData = this.opcode < 8;
    if (isData) {
      this.messageBytes += length;
      if (this.messageBytes > this.limits.maxMessageBytes) {
        // Not forwarded: this direction stops at the offending frame's start (a boundary).
        this.stopped = true;
        this.remaining = 0;
        this.owner.violation(this, 1009, 'message too big');
        return;
      }
    }
    this.control = this.opcode === 8 ? [] : null;
    this.write(headerBytes);
    if (length === 0) this.frameDone();
  }

  private frameDone(): void {
    if (this.opcode === 8) {
      const payload = Buffer.concat(this.control ?? []);
      if (this.mask !== null) for (let i = 0; i < payload.length; i++) payload[i] ^= this.mask[i & 3];
      this.closeCode = payload.length >= 2 ? payload.readUInt16BE(0) : 1005;
      this.control = null;
      this.owner.closeFrameSeen(this);
    } else if (this.opcode < 8 && this.fin) {
      this.owner.events.message(this.direction, this.messageBytes);
      this.messageBytes = 0;
    }
    if (this.pendingClose !== null) {
      this.sink.write(this.pendingClose);
      this.pendingClose = null;
      this.stopped = true;
    }
  }

  private write(piece: Buffer): void {
    if (!this.sink.write(piece)) {
      this.source.pause();
      this.owner.awaitDrain(this.sink, this.source);
    }
  }

  /** Write a close frame into the sink now if between frames, else after the current one; then drop the rest. */
  injectClose(frame: Buffer): void {
    if (this.stopped && this.pendingClose === null) {
      // Already stopped at a boundary (a violation): the close can go out now.
      this.sink.write(frame);
      return;
    }
    if (this.atBoundary) {
      this.sink.write(frame);
      this.stopped = true;
    } else {
      this.pendingClose = frame;
    }
  }
}

/** The two piped connections of one session after the 101. */
class Tunnel {
  private readonly up: FrameCursor;
  private readonly down: FrameCursor;
  private idle: NodeJS.Timeout | null = null;
  private grace: NodeJS.Timeout | null = null;
  private firstCloser: WebSocketCloser | null = null;
  private code: number | null = null;
  private proxyClosed = false;
  private ended = false;
  private open = 2;

  constructor(
    private readonly client: Duplex,
    private readonly upstream: UpgradedStream,
    limits: WebSocketLimits,
    readonly events: WebSocketEvents,
  ) {
    // A frame goes out as header and payload pieces: with Nagle on, the second piece waited for
    // the peer's delayed ACK (an echo round trip through prox took ~3× longer).
    sendWithoutDelay(client);
    sendWithoutDelay(upstream);
    this.up = new FrameCursor('client_to_upstream', client, upstream, limits, this);
    this.down = new FrameCursor('upstream_to_client', upstream, client, limits, this);
    this.idle = setTimeout(() => this.closeBoth(1001, 'idle timeout'), limits.idleTimeoutMs);
  }

  start(clientHead: Buffer): void {
    const touch = (): void => {
      this.idle?.refresh();
    };
    this.client.on('data', (chunk: Buffer) => {
      touch();
      if (this.up.stopped) return this.afterStop(this.up.direction === 'client_to_upstream' ? 'client' : 'upstream', chunk);
      this.up.feed(chunk);
    });
    this.upstream.on('data', (chunk: Uint8Array) => {
      touch();
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk);
      if (this.down.stopped) return this.afterStop('upstream', buffer);
      this.down.feed(buffer);
    });
    const onGone = (): void => this.sideGone();
    this.client.on('close', onGone);
    this.upstream.on('close', onGone);
    this.client.on('error', () => this.client.destroy());
    this.upstream.on('error', () => this.upstream.destroy());
    this.client.on('end', () => this.upstream.end());
    this.upstream.on('end', () => this.client.end());
    if (clientHead.length > 0) this.up.feed(clientHead);
    this.client.resume();
  }

  awaitDrain(sink: Duplex | UpgradedStream, source: Duplex | UpgradedStream): void {
    (sink as Duplex).once('drain', () => source.resume());
  }

  closeFrameSeen(cursor: FrameCursor): void {
    if (this.firstCloser === null) {
      this.firstCloser = cursor.direction === 'client_to_upstream' ? 'client' : 'upstream';
      this.code = cursor.closeCode;
    }
  }

  /** A message over the limit: close both sides with `code`. */
  violation(_cursor: FrameCursor, code: number, reason: string): void {
    this.closeBoth(code, reason);
  }

  /** prox ends the session: close frames both ways at frame boundaries, then cut what lingers. */
  closeBoth(code: number, reason: string): void {
    if (this.proxyClosed || this.ended) return;
    this.proxyClosed = true;
    if (this.firstCloser === null) {
      this.firstCloser = 'proxy';
      this.code = code;
    }
    const payload = closePayload(code, reason);
    this.down.injectClose(Buffer.concat([Buffer.from([0x88, payload.length]), payload]));
    // Toward the upstream a client frame must be masked; an all-zero key leaves the payload as is.
    this.up.injectClose(Buffer.concat([Buffer.from([0x88, 0x80 | payload.length, 0, 0, 0, 0]), payload]));
    this.grace = setTimeout(() => {
      this.client.destroy();
      this.upstream.destroy();
    }, CLOSE_GRACE_MS);
  }

  /** Data from a side whose direction prox stopped: only its close reply matters, which ends it. */
  private afterStop(side: WebSocketCloser, chunk: Buffer): void {
    // The peer answered prox's close (or kept talking): either way this side is done.
    if (chunk.length > 0 && (chunk[0] & 0x0f) === 8) {
      if (side === 'client') this.client.end();
      else this.upstream.end();
    }
  }

  private sideGone(): void {
    this.open--;
    if (this.open > 0) {
      // One side went: the other follows once its data is written, or is cut after the grace.
      this.client.end();
      this.upstream.end();
      this.grace ??= setTimeout(() => {
        this.client.destroy();
        this.upstream.destroy();
      }, CLOSE_GRACE_MS);
      return;
    }
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle !== null) clearTimeout(this.idle);
    if (this.grace !== null) clearTimeout(this.grace);
    this.client.destroy();
    this.upstream.destroy();
    this.events.closed(this.code ?? 1006, this.firstCloser ?? 'proxy');
  }
}

/** TCP_NODELAY on a socket (plain or TLS); other streams have no such setting. */
function sendWithoutDelay(stream: unknown): void {
  (stream as { setNoDelay?: (noDelay: boolean) => unknown }).setNoDelay?.(true);
}
