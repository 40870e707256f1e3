import { nodeProcessControl } from '../app/lifecycle/process-control';
import type { WorkerSettings } from '../app/workers/messages';
import { processChannel, runWorker } from '../app/workers/worker';
import { createWorkerParts } from '../composition/process-parts';
import { keepRunningOnStrayErrors } from './stray-errors';

/** Entry of a worker process of `workers: N`, forked by the supervisor with its settings as JSON. */
async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as WorkerSettings;
  const parts = await createWorkerParts(settings, process.env);
  keepRunningOnStrayErrors(parts.logger);
  process.exit(await runWorker(settings, parts, processChannel, nodeProcessControl));
}

void main();
