import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROX_NODE, runProxCli, withTestAdmin, writeTempConfig } from './prox-process';

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

export type Engine = 'llhttp' | 'node' | 'uws';

/** The engines a behaviour can be checked on in this run: llhttp and node:http always, µWebSockets where it loads. */
export function availableEngines(): Engine[] {
  return nativeUwsBinaryLoads() ? ['llhttp', 'node', 'uws'] : ['llhttp', 'node'];
}

/** The engine a running prox reported at startup (its `inbound engine` log line). */
export function engineOf(prox: { readonly logs: readonly Record<string, unknown>[] }): Engine {
  const line = prox.logs.find((entry) => entry.msg === 'inbound engine');
  if (line === undefined) throw new Error('prox logged no inbound engine');
  if (line.engine === 'µWebSockets') return 'uws';
  return line.engine === 'llhttp' ? 'llhttp' : 'node';
}

/**
 * A describe block about one engine. Where µWebSockets cannot load (its native binary exists for
 * Node 20 only), a `uws` block holds one test instead of its own: prox asked for µWebSockets
 * refuses to start and says why, so the run checks what this Node does rather than skipping.
 */
export function describeOnEngine(engine: Engine, title: string, body: () => void): void {
  if (engine === 'uws' && !nativeUwsBinaryLoads()) {
    describe(title, () => {
      it('is refused at startup on this Node, with the reason (µWebSockets has no binary for it)', expectUwsRefused);
    });
  } else {
    describe(title, body);
  }
}

/** describe.each over engines (`%s` in the title is the engine), each through describeOnEngine. */
export function describeEachEngine(engines: readonly Engine[], title: string, body: (engine: Engine) => void): void {
  for (const engine of engines) describeOnEngine(engine, title.replace('%s', engine), () => body(engine));
}

/** prox asked for µWebSockets where it has no binary: exit 1 before listening, naming why and what to run instead. */
async function expectUwsRefused(): Promise<void> {
  const file = writeTempConfig(withTestAdmin('listen_addr: "127.0.0.1:0"\nroutes:\n  "/": { type: proxy, target: "http://127.0.0.1:9" }\n'));
  const result = await runProxCli(['serve', '--config', file], { PROX_HTTP_SERVER: 'uws' });
  expect(result.code).toBe(1);
  expect(result.stderr).toContain('PROX_HTTP_SERVER=uws overrides engine: auto asks for µWebSockets, which cannot run here');
  expect(result.stderr).toMatch(/native binary has no build for Node v\d+/);
}
