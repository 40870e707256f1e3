import type { Logger } from '../ports/logger';

/**
 * A throw inside a µWebSockets callback would abort the process with every connection on it.
 * The adapters guard their callbacks; this is the last net, so one bad request never takes
 * the proxy down. Process-wide, so only the prox processes install it (never `startProx`).
 */
export function keepRunningOnStrayErrors(logger: Logger): void {
  process.on('uncaughtException', (error) => {
    logger.error('uncaught exception (request isolated, process kept running)', { error: error.stack ?? String(error) });
  });
  process.on('unhandledRejection', (reason) => {
    logger.error('unhandled rejection', { error: String(reason) });
  });
}
