import type { AccessLogConfig } from '../../core/model';
import type { Logger } from '../../ports/logger';
import type { AccessLogSink } from '../../ports/metrics';
import type { RequestRecord, UpstreamOutcome } from '../../ports/request-observer';
import { BufferedLineWriter, fileDestination, stdoutDestination } from './line-writer';
import type { TcpConnectionRecord } from '../../ports/tcp-proxy';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * The access log: one line per request, JSON (the shape pino writes, built by hand: it runs for
 * every request) or Apache/nginx "combined", to stdout or a file. Lines are batched and written
 * off the request path (see BufferedLineWriter); a failing destination (EPIPE, disk full) stops
 * the log rather than the proxy, and lost lines are counted.
 */
export class AccessLog implements AccessLogSink {
  private writer: BufferedLineWriter | null = null;
  private config: AccessLogConfig = { enabled: false, format: 'json', path: null };
  /** Lines lost by writers already closed (reloads that changed the destination). */
  private droppedBefore = 0;

  constructor(private readonly logger: Logger | null = null) {}

  /** Applies (or re-applies on reload) the access_log settings; reopens only when they changed. */
  configure(config: AccessLogConfig): void {
    const same = config.enabled === this.config.enabled && config.format === this.config.format && config.path === this.config.path;
    if (same && this.writer !== null) return;
    void this.close();
    this.config = config;
    if (!config.enabled) return;
    const where = config.path ?? 'stdout';
    try {
      this.writer = new BufferedLineWriter(config.path === null ? stdoutDestination() : fileDestination(config.path), (error) =>
        this.logger?.error('access log stopped: its destination failed', { path: where, error: error.message }),
      );
    } catch (error) {
      // An unwritable path was refused by validation; one that became so since is reported, not fatal.
      this.logger?.error('access log disabled: cannot open its file', { path: where, error: (error as Error).message });
    }
  }

  requestCompleted(record: RequestRecord): void {
    if (!record.accessLogged || this.writer === null) return;
    this.writer.write(this.config.format === 'json' ? jsonLine(record) : combinedLine(record));
  }

  /** One line per ended tcp connection (same destination and format setting as requests). */
  tcpConnectionClosed(record: TcpConnectionRecord): void {
    if (this.writer === null) return;
    this.writer.write(this.config.format === 'json' ? tcpJsonLine(record) : tcpTextLine(record));
  }

  upstreamAttempted(_route: string, _backend: string, _outcome: UpstreamOutcome, _durationMs: number): void {}

  retried(_route: string): void {}

  droppedLines(): number {
    return this.droppedBefore + (this.writer?.dropped ?? 0);
  }

  /** Writes out what waits (shutdown, or a reload that moves the log). */
  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = null;
    if (writer === null) return;
    await writer.close();
    this.droppedBefore += writer.dropped;
  }
}

/**
 * The ISO time of now. Under load every request lands in a new millisecond, so the date part is
 * formatted once per second and the milliseconds come from a table, not a Date per line.
 */
let isoSecond = -1;
let isoSecondPrefix = '';
const MILLISECOND_SUFFIXES = Array.from({ length: 1000 }, (_, ms) => `.${String(ms).padStart(3, '0')}Z`);
function isoNow(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    // "2026-12-03T16:40:00.000Z" without ".000Z".
    isoSecondPrefix = new Date(second * 1000).toISOString().slice(0, 19);
  }
  return isoSecondPrefix + MILLISECOND_SUFFIXES[now - second * 1000];
}

/** `JSON.stringify` only for the rare string that needs escaping: most need just quotes. */
// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_JSON_ESCAPE = /["\\\x00-\x1f\ud800-\udfff]/;
function quote(text: string): string {
  return NEEDS_JSON_ESCAPE.test(text) ? JSON.stringify(text) : '"' + text + '"';
}

/** Fields in pino's order and form (`level` 30 is info), so log tooling sees one format. */
function jsonLine(record: RequestRecord): string {
  return (
    '{"level":30,"time":"' + isoNow() +
    '","type":"access","request_id":' + quote(record.requestId) +
    ',"client_ip":' + quote(record.clientIp) +
    ',"method":' + quote(record.method) +
    ',"host":' + quote(record.host) +
    ',"path":' + quote(record.target) +
    ',"status":' + record.status +
    ',"bytes_in":' + record.bytesIn +
    ',"bytes_out":' + record.bytesOut +
    ',"duration_ms":' + round(record.durationMs) +
    ',"route":' + quote(record.route) +
    ',"backend":' + (record.backend === null ? 'null' : quote(record.backend)) +
    ',"upstream_ms":' + (record.upstreamMs === null ? 'null' : round(record.upstreamMs)) +
    ',"retries":' + record.retries +
    ',"error":' + (record.errorCode === null ? 'null' : quote(record.errorCode)) +
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

/** The `[time]` of the combined format for the current second, formatted once per second. */
let combinedSecond = -1;
let combinedText = '';
function combinedNow(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== combinedSecond) {
    combinedSecond = second;
    const now = new Date(second * 1000);
    combinedText =
      `${pad(now.getUTCDate())}/${MONTHS[now.getUTCMonth()]}/${now.getUTCFullYear()}:` +
      `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())} +0000`;
  }
  return combinedText;
}

/** `client - - [time] "METHOD target HTTP/1.1" status bytes "referer" "user-agent"` plus request id and duration. */
function combinedLine(record: RequestRecord): string {
  const time = combinedNow();
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
