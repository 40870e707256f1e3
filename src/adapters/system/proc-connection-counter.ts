import { readFileSync } from 'node:fs';

const ESTABLISHED = '01';

/**
 * Counts established TCP connections whose local port is `port`, from /proc/net/tcp{,6}.
 *
 * µWebSockets.js exposes no per-connection open/close hook for HTTP, so the kernel's table is
 * the source. Read at scrape time only; returns null where /proc is not available (non-Linux).
 */
export function countEstablishedConnections(port: number): number | null {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  let total = 0;
  let readAny = false;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let table: string;
    try {
      table = readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    readAny = true;
    const lines = table.split('\n');
    for (let i = 1; i < lines.length; i++) {
      const fields = lines[i].trim().split(/\s+/);
      if (fields.length < 4) continue;
      const local = fields[1];
      if (fields[3] === ESTABLISHED && local.slice(local.lastIndexOf(':') + 1) === portHex) total++;
    }
  }
  return readAny ? total : null;
}
