import { isIP } from 'node:net';
import type { ListenAddress } from './model';

export interface ListenAddressProblem {
  readonly message: string;
  readonly hint: string;
}

const FORMAT_HINT = "Verify listen address format: IP:PORT, e.g. '127.0.0.1:3000', '0.0.0.0:8080' or '[::1]:3000'";

/** `IP:PORT` or `[IPv6]:PORT`; names such as `localhost` are refused so the bind address is never ambiguous. */
export function parseListenAddress(text: string): ListenAddress | ListenAddressProblem {
  const bracketed = /^\[([^\]]*)\]:([^:]*)$/.exec(text);
  let host: string;
  let portText: string;
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2]!;
    if (isIP(host) !== 6) return { message: `"${host}" is not an IPv6 address`, hint: FORMAT_HINT };
  } else {
    const colon = text.lastIndexOf(':');
    if (colon === -1) return { message: `"${text}" has no port`, hint: FORMAT_HINT };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(':')) {
      return {
        message: `IPv6 address in "${text}" must be in brackets`,
        hint: isIP(host) === 6 ? `write "[${host}]:${portText}"` : FORMAT_HINT,
      };
    }
    if (isIP(host) !== 4) {
      return /^[a-z0-9.-]+$/i.test(host) && /[a-z]/i.test(host)
        ? {
            message: `"${host}" is a host name; listen_addr needs an IP address`,
            hint: host.toLowerCase() === 'localhost' ? `write "127.0.0.1:${portText}"` : FORMAT_HINT,
          }
        : { message: `"${host}" is not an IPv4 address`, hint: FORMAT_HINT };
    }
  }
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : NaN;
  // Port 0 asks the OS for a free port (the bound port is logged): handy for tests and tooling.
  if (!(port >= 0 && port <= 65535)) {
    return { message: `port "${portText}" is not a number from 0 to 65535`, hint: FORMAT_HINT };
  }
  return { host, port };
}

export function isListenAddressProblem(parsed: ListenAddress | ListenAddressProblem): parsed is ListenAddressProblem {
  return 'message' in parsed;
}

export function formatListenAddress(address: ListenAddress): string {
  return isIP(address.host) === 6 ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}

/**
 * Whether two addresses are the same socket: same port (other than 0, which always gets a free
 * one) and same IP, IPv6 compared in its canonical form so `::1` and `0:0::1` are equal.
 */
export function sameListenAddress(a: ListenAddress, b: ListenAddress): boolean {
  return a.port !== 0 && a.port === b.port && canonicalHost(a.host) === canonicalHost(b.host);
}

function canonicalHost(host: string): string {
  return isIP(host) === 6 ? new URL(`http://[${host}]/`).hostname : host;
}

/** 127.0.0.0/8 and ::1 (in any IPv6 spelling, also IPv4-mapped): reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const canonical = canonicalHost(host.replace(/^\[|\]$/g, '')).replace(/^\[|\]$/g, '').toLowerCase();
  return /^127\.\d+\.\d+\.\d+$/.test(canonical) || canonical === '::1' || /^::ffff:(127\.\d+\.\d+\.\d+|7f[0-9a-f]{2}:[0-9a-f]{1,4})$/.test(canonical);
}
