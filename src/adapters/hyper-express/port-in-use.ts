import { once } from 'node:events';
import { createServer } from 'node:net';

/**
 * Fails when something already listens on `host:port`. µWebSockets binds with SO_REUSEPORT, so
 * a second prox (or any program doing the same) on a fixed port would silently share it and
 * take half the connections; an exclusive trial bind first turns that into "address in use",
 * as nginx and HAProxy report it.
 */
export async function assertPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  probe.listen({ host, port, exclusive: true });
  try {
    await Promise.race([once(probe, 'listening'), once(probe, 'error').then(([error]) => Promise.reject(error))]);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(code === 'EADDRINUSE' ? 'address already in use' : `cannot bind (${String(code ?? error)})`);
  }
  probe.close();
  await once(probe, 'close');
}
