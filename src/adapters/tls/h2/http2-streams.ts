import { constants, type Http2Session, type IncomingHttpHeaders, type ServerHttp2Stream } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ExchangeHandler, ListenSpec } from '../../../ports/http-server';
import type { Logger } from '../../../ports/logger';
import { hostnameOf, inspectRequest, isVerdict, type HygieneVerdict } from '../../http-common/request-hygiene';
import { Http2Exchange, responseHeaders, type StreamOutcomes } from './http2-exchange';

/**
 * Streams a client may reset before their answer before its session is suspected of a rapid
 * reset attack (CVE-2023-44487): past this many, and more than it let complete, the session
 * gets GOAWAY (ENHANCE_YOUR_CALM) and is closed.
 */
export const PREMATURE_RESET_ALLOWANCE = 100;

/** Per-session bookkeeping for the rapid-reset defence. */
class SessionOutcomes implements StreamOutcomes {
  private resets = 0;
  private completions = 0;

  constructor(
    private readonly session: Http2Session,
    private readonly logger: Logger,
  ) {}

  resetByClient(): void {
    this.resets++;
    if (this.resets > PREMATURE_RESET_ALLOWANCE && this.resets > this.completions) this.refuse();
  }

  completed(): void {
    this.completions++;
  }

  get suspended(): boolean {
    return this.session.destroyed || this.session.closed;
  }

  private refuse(): void {
    if (this.session.destroyed) return;
    this.logger.warn('http2 session closed: client resets streams in bulk (rapid reset)', {
      resets: this.resets,
      completed: this.completions,
      client: this.session.socket?.remoteAddress,
    });
    this.session.goaway(constants.NGHTTP2_ENHANCE_YOUR_CALM);
    this.session.destroy();
  }
}

const outcomesBySession = new WeakMap<Http2Session, SessionOutcomes>();

/** CR, LF or NUL anywhere in a field: never forwarded (nghttp2 already resets such streams). */
const UNSAFE_VALUE = /[\r\n\0]/;

/**
 * The `'stream'` listener of prox's HTTP/2 server: the h2 counterpart of the HTTP/1.1 request
 * listener. Pseudo-headers become method, path and authority (`:authority` is the Host; a
 * `host` field that disagrees is a 400), the same hygiene checks run on the header list (431
 * over `limits`), and the request is handed to the pipeline as an Http2Exchange.
 */
export function http2StreamListener(
  spec: ListenSpec,
  handler: ExchangeHandler,
  logger: Logger,
): (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void {
  const limits = spec.limits;
  return (stream, _headers, flags, rawHeaders) => {
    const session = stream.session;
    if (session === undefined) return;
    let outcomes = outcomesBySession.get(session);
    if (outcomes === undefined) {
      outcomes = new SessionOutcomes(session, logger);
      outcomesBySession.set(session, outcomes);
    }
    if (outcomes.suspended) return;

    let method = '';
    let target: string | null = null;
    let authority: string | null = null;
    let host: string | null = null;
    let unsafe = false;
    const list: string[] = [];
    let cookies: string | null = null;
    let headerBytes = 0;
    for (let i = 0; i < rawHeaders.length; i += 2) {
      const name = rawHeaders[i];
      const value = rawHeaders[i + 1];
      if (UNSAFE_VALUE.test(value)) unsafe = true;
      if (name.charCodeAt(0) === 58 /* ':' */) {
        if (name === ':method') method = value;
        else if (name === ':path') target = value;
        else if (name === ':authority') authority = value;
        continue;
      }
      headerBytes += name.length + value.length + 4;
      if (name === 'host') {
        if (host !== null) unsafe = true;
        host = value;
        continue;
      }
      // HTTP/2 may split Cookie into several fields; HTTP/1.1 upstreams want one (RFC 9113 §8.2.3).
      if (name === 'cookie') {
        cookies = cookies === null ? value : cookies + '; ' + value;
        continue;
      }
      list.push(name, value);
    }
    if (cookies !== null) list.push('cookie', cookies);
    if (unsafe) return reject(stream, verdict(400, 'bad_request', 'control characters or repeated host in header fields'));
    if (authority !== null && host !== null && authority.toLowerCase() !== host.toLowerCase()) {
      return reject(stream, verdict(400, 'bad_request', ':authority and host disagree'));
    }
    const effectiveHost = authority ?? host;
    if (effectiveHost !== null) {
      list.unshift('host', effectiveHost);
      if (host === null) headerBytes += effectiveHost.length + 8;
    }
    if (target === null || method === 'CONNECT' || (target.charCodeAt(0) !== 47 /* '/' */ && !(target === '*' && method === 'OPTIONS'))) {
      return reject(stream, verdict(400, 'bad_request', 'missing or unsupported :path'));
    }
    const framing = inspectRequest(list, headerBytes, limits);
    if (isVerdict(framing)) return reject(stream, framing);

    const endStream = (flags & constants.NGHTTP2_FLAG_END_STREAM) !== 0;
    const declaredEmpty = framing.contentLength === null && !framing.chunked && hasZeroLength(list);
    const mark = target.indexOf('?');
    const socket = session.socket as TLSSocket;
    const exchange = new Http2Exchange(
      stream,
      method,
      mark === -1 ? target : target.slice(0, mark),
      mark === -1 ? '' : target.slice(mark + 1),
      hostnameOf(framing.host),
      framing.host,
      list,
      remoteAddressOf(socket.remoteAddress),
      socket.getProtocol?.() ?? null,
      !endStream && !declaredEmpty,
      limits,
      outcomes,
    );
    try {
      handler.handle(exchange);
    } catch (error) {
      logger.error('request handler failed', { error: String(error), path: exchange.path });
      exchange.failInternally();
    }
  };
}

function verdict(status: number, code: HygieneVerdict['code'], reason: string): HygieneVerdict {
  return { status, code, reason };
}

function hasZeroLength(list: readonly string[]): boolean {
  for (let i = 0; i < list.length; i += 2) if (list[i] === 'content-length') return list[i + 1] === '0';
  return false;
}

/** prox's short JSON error on the stream; the connection and its other streams go on. */
function reject(stream: ServerHttp2Stream, answer: HygieneVerdict): void {
  stream.on('error', () => undefined);
  if (stream.destroyed) return;
  const body = JSON.stringify({ error: answer.code, status: answer.status });
  stream.respond(responseHeaders(answer.status, ['content-type', 'application/json'], Buffer.byteLength(body)), { endStream: false });
  stream.end(body);
  // Whatever body the client still sends is not wanted.
  stream.resume();
}

function remoteAddressOf(address: string | undefined): string {
  const text = address ?? '';
  return text.startsWith('::ffff:') && text.includes('.') ? text.slice(7) : text;
}
