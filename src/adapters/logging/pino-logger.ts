import pino from 'pino';
import type { LogFields, Logger } from '../../ports/logger';

/** Operational log as JSON lines. */
export class PinoLogger implements Logger {
  private readonly log: pino.Logger;

  constructor(destination: pino.DestinationStream | NodeJS.WritableStream = process.stdout) {
    this.log = pino({ base: { service: 'prox' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
  }

  info(message: string, fields?: LogFields): void {
    this.log.info(fields ?? {}, message);
  }

  warn(message: string, fields?: LogFields): void {
    this.log.warn(fields ?? {}, message);
  }

  error(message: string, fields?: LogFields): void {
    this.log.error(fields ?? {}, message);
  }
}
