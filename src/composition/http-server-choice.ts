import { HyperExpressHttpServer } from '../adapters/hyper-express/hyper-express-http-server';
import { loadNativeUws, NativeUwsUnavailableError } from '../adapters/hyper-express/native-uws';
import { NodeHttpServer } from '../adapters/node-http/node-http-server';
import { Http1Server } from '../adapters/http1-server/http1-server';
import { engineLabel } from '../app/engine-label';
import { supportsReusePort } from '../adapters/http-common/reuse-port';
import type { EngineSetting } from '../core/model';
import type { HttpServer, InboundEngine } from '../ports/http-server';
import type { Logger } from '../ports/logger';
import type { EngineDescriber } from '../app/validation-report';

/**
 * Why `auto` is llhttp: prox's own server answers every client (HTTP/1.0 ones such as
 * ApacheBench, curl -0 and HAProxy's default `option httpchk` included, which the µWebSockets
 * build prox ships leaves unanswered), runs on every supported Node, and costs about as little
 * CPU per request as µWebSockets (node:http costs ~4-5 µs more). See docs/http-semantics.md.
 */
const AUTO_REASON = "engine: auto uses llhttp (prox's own HTTP/1.1 server on Node's parser), which answers every client; set engine: node for node:http";

/**
 * Why `auto` is µWebSockets in a worker on Node < 22.12: node:net (under llhttp and node:http)
 * can share the public port between worker processes (SO_REUSEPORT) only from Node 22.12 on,
 * µWebSockets can on Node 20.
 */
const AUTO_WORKERS_REASON =
  'engine: auto with workers: N on Node < 22.12 uses µWebSockets: Node can share the port between workers only from 22.12 (SO_REUSEPORT); HTTP/1.0 clients need workers: 1 or Node 22.12+';

/**
 * The inbound engine to run, and why: PROX_HTTP_SERVER=node|uws (testing, troubleshooting)
 * overrides the config's `engine`. Throws when the environment variable is malformed; an engine
 * that cannot load here (uws without its native binary) is reported by `engineProblem`.
 */
export function resolveEngine(configured: EngineSetting, env: NodeJS.ProcessEnv, portShared = false): InboundEngine {
  const problem = httpServerChoiceProblem(env);
  if (problem !== null) throw new Error(problem);
  const forced = env.PROX_HTTP_SERVER;
  if (forced === 'node' || forced === 'uws' || forced === 'llhttp') {
    return { name: forced, configured, reason: `PROX_HTTP_SERVER=${forced} overrides engine: ${configured}` };
  }
  if (configured === 'uws') return { name: 'uws', configured, reason: 'engine: uws' };
  if (configured === 'node') return { name: 'node', configured, reason: 'engine: node' };
  if (configured === 'llhttp') return { name: 'llhttp', configured, reason: 'engine: llhttp' };
  if (portShared && !supportsReusePort() && nativeUwsLoads()) return { name: 'uws', configured, reason: AUTO_WORKERS_REASON };
  return { name: 'llhttp', configured, reason: AUTO_REASON };
}

function nativeUwsLoads(): boolean {
  try {
    loadNativeUws();
    return true;
  } catch (error) {
    if (error instanceof NativeUwsUnavailableError) return false;
    throw error;
  }
}

/** Why the chosen engine cannot run on this Node (µWebSockets without its native binary), or null. */
export function engineProblem(engine: InboundEngine): string | null {
  if (engine.name !== 'uws') return null;
  try {
    loadNativeUws();
    return null;
  } catch (error) {
    if (!(error instanceof NativeUwsUnavailableError)) throw error;
    return `${engine.reason} asks for µWebSockets, which cannot run here: ${error.message}`;
  }
}

/** The plaintext inbound server for an engine; logs which one and why. */
export function createInboundServer(engine: InboundEngine, logger: Logger, portShared: boolean): HttpServer {
  logger.info('inbound engine', { engine: engineLabel(engine.name), configured: engine.configured, reason: engine.reason });
  if (engine.name === 'uws') return new HyperExpressHttpServer(logger, portShared);
  return engine.name === 'llhttp' ? new Http1Server(logger, portShared) : new NodeHttpServer(logger, portShared);
}

/** Why PROX_HTTP_SERVER cannot be honoured, or null; checked before anything starts. */
export function httpServerChoiceProblem(env: NodeJS.ProcessEnv): string | null {
  const forced = env.PROX_HTTP_SERVER;
  if (forced === undefined || forced === '' || forced === 'node' || forced === 'uws' || forced === 'llhttp') return null;
  return `PROX_HTTP_SERVER must be "node", "llhttp" or "uws", got "${forced}"`;
}

/**
 * `prox validate`: the engine `prox serve` would run with this environment on this Node. With
 * `workers: N > 1` the workers share the public port, which is what `auto` decides on.
 */
export function engineDescriber(env: NodeJS.ProcessEnv): EngineDescriber {
  return (configured, workers) => {
    const problem = httpServerChoiceProblem(env);
    if (problem !== null) return { inUse: 'node', configured, reason: 'PROX_HTTP_SERVER is invalid', problem };
    const engine = resolveEngine(configured, env, workers > 1);
    return { inUse: engine.name, configured, reason: engine.reason, problem: engineProblem(engine) };
  };
}
