import type { Clock } from '../../ports/clock';
import type { HttpExchange } from '../../ports/http-server';
import type { Logger } from '../../ports/logger';
import type { RequestRecord } from '../../ports/request-observer';
import type { OpenFile, StaticFileSystem } from '../../ports/static-files';
import { ErrorCode, ErrorPages, respondWithError } from '../error-responses';
import { acceptedCodings, CODING_SUFFIX, PrecompressedCoding } from './content-coding';
import { contentTypeFor } from './content-type';
import { isWithinRoot, joinUnderRoot, segmentsBelowRoot } from './containment';
import { hasDotSegment, pathBelowPrefix, resolveRequestPath } from './request-path';
import { headerValue } from './request-headers';
import { planFileResponse } from './response-plan';
import type { StaticSettings } from './static-settings';

/** Read size per chunk: big enough to keep syscalls few, small enough to keep memory flat. */
const CHUNK_BYTES = 64 * 1024;
const ALLOW_HEADERS: readonly string[] = ['allow', 'GET, HEAD'];

export interface StaticCompletion {
  /** Called once per request, after the last thing written to the client. */
  exchangeFinished(exchange: HttpExchange, record: RequestRecord): void;
}

export interface StaticContext {
  readonly files: StaticFileSystem;
  readonly logger: Logger;
  readonly completion: StaticCompletion;
  /** Wall time for conditional dates (RFC 850's two-digit years). */
  readonly clock: Clock;
}

/** The slice of a compiled route this request needs. */
export interface StaticRouteView {
  readonly key: string;
  readonly pathPrefix: string;
  readonly files: StaticSettings;
  readonly errorPages: ErrorPages;
}

const enum Phase {
  /** Resolving and opening: file system calls are in flight. */
  Locating,
  /** A chunk read is in flight. */
  Reading,
  /** The client is slow: waiting for `onWritable`, nothing in flight. */
  AwaitingWritable,
  Done,
}

/** A file found inside the root: open, with the real path it was opened at. */
interface Found {
  readonly file: OpenFile;
  readonly realPath: string;
}

/** Nothing there, or not servable (e.g. a FIFO, a file asked for as a directory): fallback applies. */
const MISSING = 'missing';
/** Outside the root or a dotfile by its real path: a plain 404, never the fallback. */
const HIDDEN = 'hidden';
type Lookup = Found | typeof MISSING | typeof HIDDEN;
/** The client left during a lookup; the request is already finished. */
const GONE = 'gone';

/**
 * One request on a static route: resolve the path safely, pick the file (index, precompressed
 * sibling, fallback), answer conditionals and ranges, then stream the bytes with backpressure.
 *
 * Invariants: at most one file is open at a time and it is closed exactly once, never while a
 * read is in flight; `exchangeFinished` is called exactly once, when nothing more will be sent.
 */
export class StaticFileRequest {
  private phase = Phase.Locating;
  private clientGone = false;
  private file: OpenFile | null = null;
  private position = 0;
  private remaining = 0;

  constructor(
    private readonly exchange: HttpExchange,
    private readonly route: StaticRouteView,
    /** Request path with dot segments removed, still percent-encoded. */
    private readonly path: string,
    private readonly context: StaticContext,
    private readonly record: RequestRecord,
    /** Flat `[name, value, ...]` headers for every answer: the request id, rate-limit headers. */
    private readonly answerHeaders: readonly string[],
  ) {}

  start(): void {
    this.exchange.onClientGone(this.handleClientGone);
    if (this.clientGone) return this.finish('client_gone');
    const method = this.exchange.request.method;
    if (method !== 'GET' && method !== 'HEAD') return this.answerError(405, 'method_not_allowed', ALLOW_HEADERS);
    const resolved = resolveRequestPath(pathBelowPrefix(this.path, this.route.pathPrefix), this.route.files.allowDotfiles);
    if (!resolved.ok) {
      return resolved.refusal === 'malformed' ? this.answerError(400, 'bad_request') : this.answerError(404, 'not_found');
    }
    this.locate(resolved.segments, resolved.directoryForm).catch(this.handleFailure);
  }

  private async locate(segments: readonly string[], directoryForm: boolean): Promise<void> {
    const settings = this.route.files;
    const realRoot = await this.context.files.realPath(settings.root);
    if (this.clientGone) return this.finish('client_gone');
    if (realRoot === null) {
      this.context.logger.warn('static root is missing', { route: this.route.key, root: settings.root });
      return this.answerError(404, 'not_found');
    }
    const requested = await this.lookUp(realRoot, joinUnderRoot(settings.root, segments));
    if (this.tooLate(requested)) return;
    if (requested === HIDDEN) return this.answerError(404, 'not_found');
    // The name the Content-Type comes from: the URL's, or the index or fallback file's.
    let name = segments.length === 0 ? '' : segments[segments.length - 1];
    let found: Found | null = null;
    if (requested !== MISSING) {
      if (requested.file.kind === 'directory') {
        void requested.file.close();
        if (!directoryForm) return this.redirectToDirectory();
        // No index: directory listings are never generated.
        for (const index of settings.index) {
          const candidate = await this.openRegularFile(realRoot, requested.realPath + '/' + index);
          if (candidate === GONE) return;
          if (candidate !== null) {
            found = candidate;
            name = index;
            break;
          }
        }
      } else if (requested.file.kind === 'file' && !directoryForm) {
        found = requested;
      } else {
        // A FIFO, device or socket, or a file asked for as a directory (`/a.txt/`).
        void requested.file.close();
      }
    }
    if (found === null) {
      if (settings.fallback === null) return this.answerError(404, 'not_found');
      const fallback = await this.openRegularFile(realRoot, joinUnderRoot(settings.root, settings.fallback));
      if (fallback === GONE) return;
      if (fallback === null) return this.answerError(404, 'not_found');
      found = fallback;
      name = settings.fallback[settings.fallback.length - 1];
    }
    this.file = found.file;
    await this.serve(realRoot, found.realPath, name);
  }

  /** A regular file at `path` inside the root; null when there is none; GONE when the client left meanwhile (already finished). */
  private async openRegularFile(realRoot: string, path: string): Promise<Found | null | typeof GONE> {
    const lookup = await this.lookUp(realRoot, path);
    if (this.tooLate(lookup)) return GONE;
    if (typeof lookup !== 'object') return null;
    if (lookup.file.kind === 'file') return lookup;
    void lookup.file.close();
    return null;
  }

  /** Resolves `path` to its real path, checks it is inside the root and not hidden, and opens it. */
  private async lookUp(realRoot: string, path: string): Promise<Lookup> {
    const files = this.context.files;
    const realPath = await files.realPath(path);
    if (realPath === null) return MISSING;
    if (!isWithinRoot(realRoot, realPath)) return HIDDEN;
    if (!this.route.files.allowDotfiles && hasDotSegment(segmentsBelowRoot(realRoot, realPath))) return HIDDEN;
    const file = await files.open(realPath);
    return file === null ? MISSING : { file, realPath };
  }

  /** After an await: when the client has left, release what was opened and finish. */
  private tooLate(lookup: Lookup): boolean {
    if (!this.clientGone) return false;
    if (typeof lookup === 'object') void lookup.file.close();
    this.finish('client_gone');
    return true;
  }

  private async serve(realRoot: string, realPath: string, name: string): Promise<void> {
    const settings = this.route.files;
    const request = this.exchange.request;
    let coding: PrecompressedCoding | null = null;
    if (settings.precompressed) {
      for (const candidate of acceptedCodings(headerValue(request.headers, 'accept-encoding'))) {
        const sibling = await this.openRegularFile(realRoot, realPath + CODING_SUFFIX[candidate]);
        if (sibling === GONE) return;
        if (sibling === null) continue;
        this.release();
        this.file = sibling.file;
        coding = candidate;
        break;
      }
    }
    const file = this.file!;
    const plan = planFileResponse(request.method, request.headers, { size: file.size, mtimeMs: file.mtimeMs, contentType: contentTypeFor(name), coding }, settings.head, this.context.clock.nowMs());
    if (plan.status === 416) {
      this.release();
      return this.answerError(416, 'range_not_satisfiable', plan.headers);
    }
    if (plan.status === 412) {
      this.release();
      return this.answerError(412, 'precondition_failed', plan.headers);
    }
    for (const header of this.answerHeaders) plan.headers.push(header);
    this.record.status = plan.status;
    if (plan.status === 304) {
      this.release();
      this.exchange.respond(304, plan.headers, null);
      return this.finish(null);
    }
    this.exchange.startResponse(plan.status, plan.headers, plan.length);
    if (request.method === 'HEAD' || plan.length === 0) return this.finish(null);
    this.position = plan.start;
    this.remaining = plan.length;
    this.pump();
  }

  private readonly pump = (): void => {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Reading;
    this.file!.read(this.position, Math.min(CHUNK_BYTES, this.remaining)).then(this.sendChunk, this.readFailed);
  };

  private readonly sendChunk = (chunk: Uint8Array): void => {
    if (this.clientGone) return this.finish('client_gone');
    if (chunk.byteLength === 0) {
      // The file shrank under us: cut the connection rather than pass a short body off as whole.
      this.context.logger.warn('static file shrank while being sent', { route: this.route.key, path: this.path });
      this.exchange.abort();
      return this.finish('file_changed');
    }
    const bytes = chunk.byteLength > this.remaining ? chunk.subarray(0, this.remaining) : chunk;
    this.position += bytes.byteLength;
    this.remaining -= bytes.byteLength;
    const more = this.exchange.write(bytes);
    if (this.remaining === 0) {
      this.exchange.end();
      return this.finish(null);
    }
    if (more) return this.pump();
    this.phase = Phase.AwaitingWritable;
    this.exchange.onWritable(this.pump);
  };

  private readonly readFailed = (error: unknown): void => {
    if (this.clientGone) return this.finish('client_gone');
    this.context.logger.error('static file read failed', { route: this.route.key, path: this.path, detail: String(error) });
    this.exchange.abort();
    this.finish('file_read_failed');
  };

  /** A file system call failed in a way that is not "nothing there" (e.g. EMFILE, EIO). */
  private readonly handleFailure = (error: unknown): void => {
    if (this.phase === Phase.Done) return;
    if (this.clientGone) return this.finish('client_gone');
    this.context.logger.error('static file lookup failed', { route: this.route.key, path: this.path, detail: String(error) });
    this.answerError(500, 'internal_error');
  };

  private readonly handleClientGone = (): void => {
    this.clientGone = true;
    // With a call in flight, whoever receives its result finishes; otherwise finish now.
    if (this.phase === Phase.AwaitingWritable) this.finish('client_gone');
  };

  /** nginx's answer to a directory asked for without the trailing slash. */
  private redirectToDirectory(): void {
    // Repeated slashes are merged so `//host/dir` can never become a protocol-relative Location.
    const query = this.exchange.request.query;
    const location = this.path.replace(/\/{2,}/g, '/') + '/' + (query.length === 0 ? '' : '?' + query);
    this.record.status = 301;
    this.exchange.respond(301, ['location', location, ...this.answerHeaders], null);
    this.finish(null);
  }

  private answerError(status: number, code: ErrorCode, extraHeaders: readonly string[] = []): void {
    this.record.status = status;
    respondWithError(this.exchange, status, code, [...extraHeaders, ...this.answerHeaders], this.route.errorPages);
    this.finish(code);
  }

  private release(): void {
    const file = this.file;
    this.file = null;
    if (file !== null) void file.close();
  }

  private finish(errorCode: string | null): void {
    if (this.phase === Phase.Done) return;
    this.phase = Phase.Done;
    this.release();
    this.record.errorCode = errorCode;
    this.context.completion.exchangeFinished(this.exchange, this.record);
  }
}
