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
  if (forced !== undefined && forced !== '') {
    throw new Error(`PROX_HTTP_SERVER must be "node" or "uws", got "${forced}"`);
  }
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
