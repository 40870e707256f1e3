import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROX_NODE } from './prox-process';

/**
 * Whether the µWebSockets native binary exists for the Node the prox processes of this run use
 * (PROX_TEST_NODE or jest's own). Only Node 20 has one; elsewhere `engine: uws` is refused at
 * startup, so tests about µWebSockets behaviour have nothing to run against.
 */
export function nativeUwsBinaryLoads(): boolean {
  const abi = PROX_NODE === process.execPath ? process.versions.modules : execFileSync(PROX_NODE, ['-p', 'process.versions.modules'], { encoding: 'utf8' }).trim();
  const packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
  return existsSync(join(packageDir, 'binaries', `uws_${process.platform}_${process.arch}_${abi}.node`));
}

/** The engines a behaviour can be checked on in this run: node:http always, µWebSockets where it loads. */
export function availableEngines(): ('node' | 'uws')[] {
  return nativeUwsBinaryLoads() ? ['node', 'uws'] : ['node'];
}

/** The engine a running prox reported at startup (its `inbound engine` log line). */
export function engineOf(prox: { readonly logs: readonly Record<string, unknown>[] }): 'node' | 'uws' {
  const line = prox.logs.find((entry) => entry.msg === 'inbound engine');
  if (line === undefined) throw new Error('prox logged no inbound engine');
  return line.engine === 'µWebSockets' ? 'uws' : 'node';
}
