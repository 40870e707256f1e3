import type { InboundEngine } from '../ports/http-server';

/** How the startup log, `prox validate` and the docs name an inbound engine. */
export function engineLabel(name: InboundEngine['name']): string {
  if (name === 'uws') return 'µWebSockets';
  return name === 'llhttp' ? 'llhttp' : 'node:http';
}
