import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type * as Uws from 'uWebSockets.js';

/**
 * The µWebSockets fork we depend on ships native binaries for a few Node ABIs only, and when none
 * fits it silently swaps in a slow pure-JS server. prox refuses that: it loads the binary itself
 * and fails loudly instead.
 */
export class NativeUwsUnavailableError extends Error {
  readonly code = 'PROX_NATIVE_UWS_UNAVAILABLE';
}

export function nativeUwsBinaryPath(): string {
  const packageDir = dirname(require.resolve('uWebSockets.js/package.json'));
  const { platform, arch } = process;
  return join(packageDir, 'binaries', `uws_${platform}_${arch}_${process.versions.modules}.node`);
}

let loaded: typeof Uws | null = null;

export function loadNativeUws(): typeof Uws {
  if (loaded !== null) return loaded;
  const binary = nativeUwsBinaryPath();
  const runtime = `Node ${process.version} (ABI ${process.versions.modules}, ${process.platform}-${process.arch})`;
  if (!existsSync(binary)) {
    throw new NativeUwsUnavailableError(
      `the µWebSockets native binary has no build for ${runtime}; prox does not use its slow ` +
        'pure-JS fallback. Run Node 20 for µWebSockets, or the node:http server (PROX_HTTP_SERVER unset or "node").',
    );
  }
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, after the runtime check
    require(binary);
  } catch (error) {
    throw new NativeUwsUnavailableError(`the µWebSockets native binary failed to load on ${runtime}: ${String(error)}`);
  }
  // The package entry resolves to the same, now cached, binary.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, after the binary
  loaded = require('uWebSockets.js') as typeof Uws;
  if (!isNativeUwsLoaded()) throw new NativeUwsUnavailableError('µWebSockets resolved to its pure-JS fallback');
  return loaded;
}

/** True when the module in use is the native binary (its entry in the require cache). */
export function isNativeUwsLoaded(): boolean {
  const binary = nativeUwsBinaryPath();
  const entry = require.cache[require.resolve('uWebSockets.js')];
  return require.cache[binary] !== undefined && entry !== undefined && entry.exports === require.cache[binary]?.exports;
}
