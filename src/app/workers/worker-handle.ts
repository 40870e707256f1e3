import { ChildProcess, fork } from 'node:child_process';
import type { FromWorker, ToWorker, WorkerReply, WorkerSettings } from './messages';

/** A worker that does not answer an IPC question within this long is left out of the answer. */
const REPLY_TIMEOUT_MS = 5_000;

type Question = ToWorker extends infer M ? (M extends { id: number } ? Omit<M, 'id'> : never) : never;

/**
 * One forked worker process, as the supervisor sees it: its IPC questions and answers, and its
 * stdout forwarded whole line by whole line (workers writing straight to a shared stdout could
 * interleave parts of lines once a write exceeds the pipe's atomic size).
 */
export class WorkerHandle {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  /** The public port it listens on, once it said so. */
  port: number | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (reply: WorkerReply | null) => void; timer: NodeJS.Timeout }>();
  readonly listening: Promise<number>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(
    /** The worker process's entry script (`dist/cli/worker-main.js`). */
    script: string,
    readonly settings: WorkerSettings,
  ) {
    this.child = fork(script, [JSON.stringify(settings)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    forwardLines(this.child.stdout!, process.stdout);
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
    void this.exited.then(() => {
      for (const { resolve, timer } of this.pending.values()) {
        clearTimeout(timer);
        resolve(null);
      }
      this.pending.clear();
    });
    this.listening = new Promise((resolve, reject) => {
      this.child.on('message', (message: FromWorker) => {
        if (message.type === 'listening') {
          this.port = message.port;
          resolve(message.port);
          return;
        }
        const waiter = this.pending.get(message.id);
        if (waiter === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(waiter.timer);
        waiter.resolve(message);
      });
      void this.exited.then(({ code, signal }) => reject(new Error(`worker ${settings.id} exited before listening (code ${String(code)}, signal ${String(signal)})`)));
    });
    // Nobody may be waiting on it (a restarted worker that crashes again at once).
    this.listening.catch(() => undefined);
  }

  get id(): number {
    return this.settings.id;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the worker's reply, or null when it exited or did not answer in time. */
  ask<T extends Question['type']>(question: Extract<Question, { type: T }>): Promise<Extract<WorkerReply, { type: T }> | null> {
    if (!this.alive || !this.child.connected) return Promise.resolve(null);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(null);
      }, REPLY_TIMEOUT_MS);
      this.pending.set(id, { resolve: resolve as (reply: WorkerReply | null) => void, timer });
      this.child.send({ ...question, id } as ToWorker, (error) => {
        if (error === null || !this.pending.has(id)) return;
        this.pending.delete(id);
        clearTimeout(timer);
        resolve(null);
      });
    });
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }
}

function forwardLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream): void {
  let partial = '';
  from.setEncoding('utf8');
  from.on('data', (text: string) => {
    const end = text.lastIndexOf('\n');
    if (end === -1) {
      partial += text;
      return;
    }
    const whole = partial + text.slice(0, end + 1);
    partial = text.slice(end + 1);
    // A slow reader of our stdout slows the worker's log, as it would a single process.
    if (!to.write(whole)) {
      from.pause();
      to.once('drain', () => from.resume());
    }
  });
  from.on('end', () => {
    if (partial !== '') to.write(partial + '\n');
  });
}
