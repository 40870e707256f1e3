import { HyperExpressHttpServer } from '../adapters/hyper-express/hyper-express-http-server';
import { loadNativeUws, NativeUwsUnavailableError } from '../adapters/hyper-express/native-uws';
import { NodeHttpServer } from '../adapters/node-http/node-http-server';
import type { HttpServer } from '../ports/http-server';
import type { Logger } from '../ports/logger';

/**
 * The inbound server: µWebSockets where its native binary loads (Node 20), node:http elsewhere.
 * PROX_HTTP_SERVER=node|uws forces one, for testing and troubleshooting; `uws` on a Node without
 * the binary fails at startup instead of falling back.
 */
export function chooseHttpServer(env: NodeJS.ProcessEnv, logger: Logger, portShared: boolean): HttpServer {
  const forced = env.PROX_HTTP_SERVER;
  if (forced === 'node') return new NodeHttpServer(logger, portShared);
  if (forced === 'uws') return new HyperExpressHttpServer(logger, portShared);
  const problem = httpServerChoiceProblem(env);
  if (problem !== null) throw new Error(problem);
  try {
    loadNativeUws();
    return new HyperExpressHttpServer(logger, portShared);
  } catch (error) {
    if (!(error instanceof NativeUwsUnavailableError)) throw error;
    logger.warn(`µWebSockets native binary unavailable for Node ${process.versions.node}; using node:http (slower)`, {
      reason: error.message,
    });
    return new NodeHttpServer(logger, portShared);
  }
}

/** Why PROX_HTTP_SERVER cannot be honoured, or null; checked before anything starts. */
export function httpServerChoiceProblem(env: NodeJS.ProcessEnv): string | null {
  const forced = env.PROX_HTTP_SERVER;
  if (forced === undefined || forced === '' || forced === 'node' || forced === 'uws') return null;
  return `PROX_HTTP_SERVER must be "node" or "uws", got "${forced}"`;
}
