import { closeSync, mkdirSync, openSync, write as writeToFile } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Lines wait in memory and go out in one write as soon as this many bytes wait (nginx's
 * `access_log ... buffer=64k`) ...
 */
export const FLUSH_BYTES = 64 * 1024;
/**
 * ... or once the oldest waiting line is this old (nginx's `flush=`): one syscall for many
 * requests, never a write on the request path. A write per event-loop turn cost about 6% of
 * the CPU per proxied request under load.
 */
export const FLUSH_INTERVAL_MS = 100;
/** Past this much waiting (a stalled disk or a full pipe), new lines are dropped and counted. */
export const MAX_PENDING_BYTES = 8 * 1024 * 1024;
/** Shutdown waits at most this long for the last lines to be written. */
const CLOSE_WAIT_MS = 5_000;

/** Where batches of lines go: one write at a time, `done` once it is out (or failed). */
export interface LineDestination {
  write(chunk: Buffer, done: (error: Error | null) => void): void;
  close(): void;
}

/** Appends to a file (created with its directory), finishing partial writes. */
export function fileDestination(path: string): LineDestination {
  mkdirSync(dirname(path), { recursive: true });
  const fd = openSync(path, 'a');
  return {
    write(chunk, done) {
      const writeFrom = (offset: number): void => {
        writeToFile(fd, chunk, offset, chunk.length - offset, null, (error, written) => {
          if (error) done(error);
          else if (offset + written < chunk.length) writeFrom(offset + written);
          else done(null);
        });
      };
      writeFrom(0);
    },
    close() {
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing to release.
      }
    },
  };
}

/**
 * Writes to process.stdout, the stream the operational log uses too: a second writer on fd 1
 * would interleave partial lines and spin on EAGAIN when the pipe is full.
 */
export function stdoutDestination(): LineDestination {
  return {
    write(chunk, done) {
      process.stdout.write(chunk, (error) => done(error ?? null));
    },
    close() {},
  };
}

/** Lines are encoded straight into buffers of this size (no joined string in between). */
const CHUNK_BYTES = 128 * 1024;

/**
 * Batches lines into few large writes with at most one in flight, bounded memory and a count of
 * what was lost. A destination that fails (EPIPE, disk full) stops this writer, not the proxy.
 */
export class BufferedLineWriter {
  /** Filled chunks waiting for the write in flight to finish. */
  private queued: Buffer[] = [];
  private current: Buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private pendingBytes = 0;
  private spare: Buffer | null = null;
  private inFlight = false;
  private scheduled = false;
  private stopped = false;
  private whenIdle: (() => void) | null = null;
  /** Lines that never reached the destination (buffer full, destination failed, or closed). */
  dropped = 0;

  constructor(
    private readonly destination: LineDestination,
    private readonly onFailure: (error: Error) => void = () => {},
  ) {}

  write(line: string): void {
    if (this.stopped || this.pendingBytes >= MAX_PENDING_BYTES) {
      this.dropped += 1;
      return;
    }
    // A UTF-16 code unit takes at most 3 bytes in UTF-8.
    const worstCase = line.length * 3;
    if (worstCase > CHUNK_BYTES) {
      // A huge line (a very long URL) gets a buffer of its own.
      this.seal();
      const own = Buffer.from(line, 'utf8');
      this.queued.push(own);
      this.pendingBytes += own.length;
    } else {
      if (worstCase > this.current.length - this.used) this.seal();
      const written = this.current.write(line, this.used, 'utf8');
      this.used += written;
      this.pendingBytes += written;
    }
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(this.flushLater, FLUSH_INTERVAL_MS).unref();
  }

  /** Writes out what waits, then closes the destination; later lines are dropped. */
  async close(): Promise<void> {
    this.flush();
    if (this.inFlight) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.whenIdle = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_WAIT_MS).unref())),
      ]);
      clearTimeout(timer);
    }
    this.stop();
    this.destination.close();
  }

  private readonly flushLater = (): void => {
    this.scheduled = false;
    this.flush();
  };

  /** Moves the filled part of the current buffer to the queue and starts a fresh buffer. */
  private seal(): void {
    if (this.used === 0) return;
    this.queued.push(this.current.subarray(0, this.used));
    this.current = this.spare ?? Buffer.allocUnsafe(CHUNK_BYTES);
    this.spare = null;
    this.used = 0;
  }

  private flush(): void {
    if (this.inFlight || this.stopped) return;
    this.seal();
    if (this.queued.length === 0) return;
    const chunks = this.queued;
    const chunk = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    this.queued = [];
    this.pendingBytes = 0;
    this.inFlight = true;
    this.destination.write(chunk, (error) => {
      this.inFlight = false;
      // The first chunk's memory is reused for the next lines (it is a view of a whole chunk).
      if (chunks.length === 1 && chunk.buffer.byteLength >= CHUNK_BYTES && this.spare === null) this.spare = Buffer.from(chunk.buffer, chunk.byteOffset, CHUNK_BYTES);
      if (error !== null) {
        this.dropped += countLines(chunk);
        this.stop();
        this.onFailure(error);
      } else if (this.pendingBytes >= FLUSH_BYTES || this.whenIdle !== null) {
        // Full enough, or close() waits for everything.
        this.flush();
      } else if (this.pendingBytes > 0) {
        this.scheduleFlush();
      }
      if (!this.inFlight && this.whenIdle !== null) {
        const resolve = this.whenIdle;
        this.whenIdle = null;
        resolve();
      }
    });
  }

  private stop(): void {
    this.stopped = true;
    this.seal();
    for (const chunk of this.queued) this.dropped += countLines(chunk);
    this.queued = [];
    this.pendingBytes = 0;
  }
}

function countLines(chunk: Buffer): number {
  let count = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) count += 1;
  return count;
}
