import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { AddressInfo, createServer } from 'node:net';

/**
 * Ports handed out here lie below the kernel's ephemeral range. A port taken from inside it
 * (bind to 0, read, release) can be given again to anything that binds port 0 or connects out
 * (every connection's local port comes from that range) before the test binds it, and with
 * jest's parallel workers making thousands of connections that happened: a prox failing with
 * "address already in use" while Pebble started. Below the range only another explicit pick can
 * collide, and picks are random and checked.
 */
const LOWEST_PICK = 10_000;

function ephemeralRangeStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) ? low : 0;
  } catch {
    return 0;
  }
}

const pickBelow = ephemeralRangeStart();

async function bindAndRelease(port: number): Promise<number | null> {
  const server = createServer();
  server.listen(port, '127.0.0.1');
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  } catch {
    return null;
  }
  const bound = (server.address() as AddressInfo).port;
  server.close();
  await once(server, 'close');
  return bound;
}

/** A loopback port that was free a moment ago (bound, read, released), outside the ephemeral range. */
export async function freeLoopbackPort(): Promise<number> {
  if (pickBelow > LOWEST_PICK + 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const candidate = LOWEST_PICK + Math.floor(Math.random() * (pickBelow - LOWEST_PICK));
      const port = await bindAndRelease(candidate);
      if (port !== null) return port;
    }
  }
  // No room below the range (or all picks taken): the kernel's choice.
  const port = await bindAndRelease(0);
  if (port === null) throw new Error('no free loopback port');
  return port;
}
