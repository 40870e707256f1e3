import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BufferedLineWriter, fileDestination, MAX_PENDING_BYTES } from '../../src/adapters/logging/line-writer';

const scratch = (): string => mkdtempSync(join(tmpdir(), 'prox-lines-'));

describe('BufferedLineWriter', () => {
  it('writes every line, in order, and all of it by the time close() resolves', async () => {
    const path = join(scratch(), 'logs', 'access.log');
    const writer = new BufferedLineWriter(fileDestination(path));
    // Enough to need several chunks and writes, with multi-byte characters and one huge line.
    const lines = Array.from({ length: 5_000 }, (_, i) => `{"n":${i},"path":"/é/${'x'.repeat(i % 300)}"}\n`);
    lines.splice(2_500, 0, `{"huge":"${'ü'.repeat(100_000)}"}\n`);
    for (const [i, line] of lines.entries()) {
      writer.write(line);
      // Let some turns pass between writes; the size threshold and close() flush.
      if (i % 700 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    await writer.close();
    expect(readFileSync(path, 'utf8')).toBe(lines.join(''));
    expect(writer.dropped).toBe(0);
  });

  it('gathers the lines of several event-loop turns into one write', async () => {
    const writes: string[] = [];
    let wrote: () => void = () => {};
    const firstWrite = new Promise<void>((resolve) => (wrote = resolve));
    const writer = new BufferedLineWriter({
      write(chunk, done) {
        writes.push(chunk.toString('utf8'));
        wrote();
        done(null);
      },
      close() {},
    });
    writer.write('a\n');
    await new Promise((resolve) => setImmediate(resolve));
    writer.write('b\n');
    await new Promise((resolve) => setImmediate(resolve));
    writer.write('c\n');
    await firstWrite;
    expect(writes).toEqual(['a\nb\nc\n']);
    await writer.close();
  });

  it('bounds memory while the destination stalls, counting the lines it drops', async () => {
    // A FIFO with a reader that never reads: the kernel takes 64 KiB, then a write blocks, as
    // on a stalled disk.
    const dir = scratch();
    const fifo = join(dir, 'stalled');
    execFileSync('mkfifo', [fifo]);
    const idleReader = openSync(fifo, 'r+');
    const writer = new BufferedLineWriter(fileDestination(fifo));
    const line = `${'y'.repeat(99)}\n`;
    const total = (MAX_PENDING_BYTES / line.length) * 2;
    for (let i = 0; i < total; i += 1) {
      writer.write(line);
      if (i % 10_000 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // At most the bound plus what the pipe and the write in flight took got through.
    expect(writer.dropped).toBeGreaterThanOrEqual(total - (MAX_PENDING_BYTES + 2 * 1024 * 1024) / line.length);
    expect(writer.dropped).toBeLessThan(total);
    // The reader goes away: the blocked write fails (EPIPE) and close() does not hang.
    closeSync(idleReader);
    await writer.close();
    const afterClose = writer.dropped;
    writer.write(line);
    expect(writer.dropped).toBe(afterClose + 1);
  });

  it('stops, without throwing, when the destination fails, and counts what it lost', async () => {
    // A pipe whose reader has gone: every write fails with EPIPE.
    const fifo = join(scratch(), 'closed');
    execFileSync('mkfifo', [fifo]);
    const reader = openSync(fifo, 'r+');
    const failures: string[] = [];
    const writer = new BufferedLineWriter(fileDestination(fifo), (error) => failures.push((error as NodeJS.ErrnoException).code ?? error.message));
    closeSync(reader);
    writer.write('a\n');
    writer.write('b\n');
    await writer.close();
    writer.write('c\n');
    expect(failures).toEqual(['EPIPE']);
    expect(writer.dropped).toBe(3);
  });
});
