import pino from 'pino';
import type { AccessLogConfig } from '../../core/model';
import type { AccessLogSink } from '../../ports/metrics';
import type { RequestRecord, UpstreamOutcome } from '../../ports/request-observer';
import type { TcpConnectionRecord } from '../../ports/tcp-proxy';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The access log: one line per request, JSON (the shape pino writes, built by hand: it runs for
 * every request) or Apache/nginx "combined", to stdout or a file. Writes are buffered and
 * asynchronous (sonic-boom) so logging never blocks a request; a failing destination (EPIPE,
 * disk full) stops the log rather than the proxy.
 */
export class AccessLog implements AccessLogSink {
  private destination: pino.DestinationStream & { flushSync?(): void; end?(): void; on?(e: string, l: () => void): void } | null = null;
  private config: AccessLogConfig = { enabled: false, format: 'json', path: null };
  private broken = false;

  /** Applies (or re-applies on reload) the access_log settings; reopens only when they changed. */
  configure(config: AccessLogConfig): void {
    const same = config.enabled === this.config.enabled && config.format === this.config.format && config.path === this.config.path;
    if (same && this.destination !== null) return;
    this.close();
    this.config = config;
    this.broken = false;
    if (!config.enabled) return;
    // stdout goes through process.stdout, the stream the operational log uses too: a second
    // writer on fd 1 would interleave partial lines and spin on EAGAIN when the pipe is full.
    const destination =
      config.path === null
        ? (process.stdout as unknown as pino.DestinationStream & { on(e: string, l: () => void): void })
        : pino.destination({ dest: config.path, sync: false, minLength: 4096, mkdir: true });
    destination.on('error', () => {
      this.broken = true;
    });
    this.destination = destination;
  }

  requestCompleted(record: RequestRecord): void {
    if (!record.accessLogged || this.destination === null || this.broken) return;
    this.destination.write(this.config.format === 'json' ? jsonLine(record) : combinedLine(record));
  }

  /** One line per ended tcp connection (same destination and format setting as requests). */
  tcpConnectionClosed(record: TcpConnectionRecord): void {
    if (this.destination === null || this.broken) return;
    this.destination.write(this.config.format === 'json' ? tcpJsonLine(record) : tcpTextLine(record));
  }

  upstreamAttempted(_route: string, _backend: string, _outcome: UpstreamOutcome, _durationMs: number): void {}

  retried(_route: string): void {}

  /** Writes out what is buffered (at shutdown). */
  close(): void {
    const destination = this.destination;
    this.destination = null;
    if (destination === null) return;
    if (destination === (process.stdout as unknown)) return;
    try {
      if (!this.broken) destination.flushSync?.();
    } catch {
      // A destination that cannot take the rest has already lost it; nothing to do.
    }
    destination.end?.();
  }
}

/** Fields in pino's order and form (`level` 30 is info), so log tooling sees one format. */
function jsonLine(record: RequestRecord): string {
  return (
    '{"level":30,"time":"' + new Date().toISOString() +
    '","type":"access","request_id":' + JSON.stringify(record.requestId) +
    ',"client_ip":' + JSON.stringify(record.clientIp) +
    ',"method":' + JSON.stringify(record.method) +
    ',"host":' + JSON.stringify(record.host) +
    ',"path":' + JSON.stringify(record.target) +
    ',"status":' + record.status +
    ',"bytes_in":' + record.bytesIn +
    ',"bytes_out":' + record.bytesOut +
    ',"duration_ms":' + round(record.durationMs) +
    ',"route":' + JSON.stringify(record.route) +
    ',"backend":' + (record.backend === null ? 'null' : JSON.stringify(record.backend)) +
    ',"upstream_ms":' + (record.upstreamMs === null ? 'null' : round(record.upstreamMs)) +
    ',"retries":' + record.retries +
    ',"error":' + (record.errorCode === null ? 'null' : JSON.stringify(record.errorCode)) +
    ',"protocol":"' + (record.protocol ?? 'http/1.1') +
    '","tls_version":' + (record.tlsVersion ? '"' + record.tlsVersion + '"' : 'null') +
    (record.webSocket
      ? ',"websocket":{"messages_in":' + record.webSocket.messagesIn + ',"messages_out":' + record.webSocket.messagesOut +
        ',"close_code":' + record.webSocket.closeCode + ',"closed_by":"' + record.webSocket.closedBy + '"}'
      : '') +
    ',"msg":"request"}\n'
  );
}

function tcpJsonLine(record: TcpConnectionRecord): string {
  return (
    '{"level":30,"time":"' + new Date().toISOString() +
    '","type":"tcp","listener":' + JSON.stringify(record.listener) +
    ',"client":' + JSON.stringify(record.client) +
    ',"backend":' + (record.backend === null ? 'null' : JSON.stringify(record.backend)) +
    ',"outcome":"' + record.outcome +
    '","close_reason":"' + record.closeReason +
    '","bytes_in":' + record.bytesIn +
    ',"bytes_out":' + record.bytesOut +
    ',"duration_ms":' + round(record.durationMs) +
    ',"msg":"tcp connection"}\n'
  );
}

/** `client -> listener -> backend outcome close_reason bytes_in bytes_out seconds`, one line per connection. */
function tcpTextLine(record: TcpConnectionRecord): string {
  return `${record.client} -> ${record.listener} -> ${record.backend ?? '-'} ${record.outcome} ${record.closeReason} ${record.bytesIn} ${record.bytesOut} ${round(record.durationMs / 1000)}\n`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** `client - - [time] "METHOD target HTTP/1.1" status bytes "referer" "user-agent"` plus request id and duration. */
function combinedLine(record: RequestRecord): string {
  const now = new Date();
  const time =
    `${pad(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:` +
    `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
  const referer = quoted(firstHeader(record.requestHeaders, 'referer'));
  const agent = quoted(firstHeader(record.requestHeaders, 'user-agent'));
  return `${record.clientIp} - - [${time}] "${record.method} ${escape(record.target)} ${record.protocol === 'h2' ? 'HTTP/2.0' : 'HTTP/1.1'}" ${record.status} ${record.bytesOut} ${referer} ${agent} ${record.requestId} ${round(record.durationMs / 1000)}\n`;
}

function firstHeader(headers: readonly string[], name: string): string | null {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return headers[i + 1];
  return null;
}

function pad(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function quoted(value: string | null): string {
  return value === null ? '"-"' : `"${escape(value)}"`;
}

/** Keeps one request on one line whatever the client sent. */
function escape(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are what this escapes
  return text.replace(/["\\\x00-\x1f\x7f]/g, (c) => '\\x' + c.charCodeAt(0).toString(16).padStart(2, '0'));
}
