import type { ListenSpec } from '../../ports/http-server';
import { DEFAULTS } from '../../config/defaults';

/** µWebSockets closes a connection that sent no complete request for this long, idle or mid-head. */
export const UWS_IDLE_TIMEOUT_MS = 10_000;

/**
 * The `limits` settings the µWebSockets engine cannot apply, as `name: why` lines for the
 * startup warning: its idle timeout is compiled in, and uWS.js gives no hook on accepted
 * connections to count or refuse them (docs/http-semantics.md). Only settings that differ from
 * what µWS does anyway, or (connection caps) from the defaults, are listed: a config that does
 * not mention them logs nothing.
 */
export function limitsUwsIgnores(limits: ListenSpec['limits']): string[] {
  const ignored: string[] = [];
  if (limits.headerTimeoutMs !== UWS_IDLE_TIMEOUT_MS) ignored.push('header_timeout_secs (fixed at 10 s on µWebSockets)');
  if (limits.keepaliveTimeoutMs !== UWS_IDLE_TIMEOUT_MS) ignored.push('keepalive_timeout_secs (fixed at 10 s on µWebSockets)');
  if (limits.maxConnections !== null && limits.maxConnections !== DEFAULTS.maxConnections) ignored.push('max_connections (µWebSockets cannot refuse connections)');
  if (limits.maxConnectionsPerIp !== null && limits.maxConnectionsPerIp !== DEFAULTS.maxConnectionsPerIp) ignored.push('max_connections_per_ip (µWebSockets cannot refuse connections)');
  return ignored;
}
