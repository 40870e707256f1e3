import pino from 'pino';
import type { LogFields, Logger } from '../../ports/logger';

/**
 * Operational log as JSON lines.
 *
 * If the log's reader goes away (a collector dies, `prox | head` exits), writes fail with EPIPE.
 * Those errors must not become uncaught exceptions: each would be logged, fail again, and spin
 * the process. Logging stops instead, and the proxy keeps serving.
 */
export class PinoLogger implements Logger {
  private readonly log: pino.Logger;
  private broken = false;

  constructor(destination: pino.DestinationStream | NodeJS.WritableStream = process.stdout, bindings: Record<string, unknown> = {}) {
    if ('on' in destination && typeof destination.on === 'function') {
      destination.on('error', () => {
        this.broken = true;
      });
    }
    this.log = pino({ base: { service: 'prox', ...bindings }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  }

  info(message: string, fields?: LogFields): void {
    if (!this.broken) this.log.info(fields ?? {}, message);
  }

  warn(message: string, fields?: LogFields): void {
    if (!this.broken) this.log.warn(fields ?? {}, message);
  }

  error(message: string, fields?: LogFields): void {
    if (!this.broken) this.log.error(fields ?? {}, message);
  }
}
