import type { RandomSource } from '../ports/random';

const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';
/** Longest incoming id kept; longer ones (or ones with odd characters) are replaced. */
const MAX_INCOMING_LENGTH = 128;
const ACCEPTABLE = /^[A-Za-z0-9._:\-+/=@]+$/;

/**
 * Request ids: unique per process run without a syscall or a UUID per request. A random
 * prefix drawn once distinguishes processes (and restarts); a counter distinguishes requests.
 */
export class RequestIdGenerator {
  private readonly prefix: string;
  private counter = 0;

  constructor(random: RandomSource) {
    let prefix = '';
    for (let i = 0; i < 10; i++) prefix += ALPHABET[random.nextInt(ALPHABET.length)];
    this.prefix = prefix + '-';
  }

  next(): string {
    this.counter++;
    return this.prefix + this.counter.toString(36);
  }

  /** The client's id when it is a sane token, else a fresh one. */
  forRequest(headers: readonly string[], headerName: string): string {
    for (let i = 0; i < headers.length; i += 2) {
      if (headers[i] !== headerName) continue;
      const value = headers[i + 1];
      if (value.length > 0 && value.length <= MAX_INCOMING_LENGTH && ACCEPTABLE.test(value)) return value;
      break;
    }
    return this.next();
  }
}
