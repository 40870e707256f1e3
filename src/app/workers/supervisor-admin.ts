import type { AdminHandler, AdminResponse } from '../../ports/admin-server';
import type { FleetMetrics } from './supervisor-parts';
import type { WorkerHandle } from './worker-handle';

/** The workers as the admin endpoints see them. */
export interface WorkerFleet {
  /** One slot per worker, in worker order; null before its first start. */
  readonly slots: readonly (WorkerHandle | null)[];
  /** Workers running and listening, the ones that can answer. */
  liveWorkers(): WorkerHandle[];
  readonly restarts: number;
  readonly stopping: boolean;
}

const ENDPOINTS = ['/metrics', '/healthz', '/readyz', '/routes', '/backends', '/config', '/certificates', '/workers'];

/**
 * The admin endpoints of `workers: N`, served once by the supervisor: metrics merged from every
 * worker, readiness of all of them, the workers view; other views are asked of one worker.
 */
export function supervisorAdminHandler(fleet: WorkerFleet, metrics: FleetMetrics): AdminHandler {
  return async (method, path, _query, authorization) => {
    if (method !== 'GET' && method !== 'HEAD') return json(405, { error: 'method_not_allowed', allowed: ['GET', 'HEAD'] });
    switch (path) {
      case '/metrics': {
        const replies = await Promise.all(fleet.liveWorkers().map((worker) => worker.ask({ type: 'metrics' })));
        const merged = await metrics.merged(replies.flatMap((reply) => (reply === null ? [] : [reply.metrics])));
        return { status: 200, contentType: merged.contentType, body: merged.body };
      }
      case '/healthz':
        return json(200, { status: 'ok' });
      case '/readyz':
        return readiness(fleet);
      case '/workers':
        return workersView(fleet);
      case '/':
        return json(200, { endpoints: ENDPOINTS });
      default: {
        // Views of routes, backends, config and certificates: every worker runs the same config
        // (and serves the certificate the supervisor handed it, with its status); one answers.
        const worker = fleet.liveWorkers()[0];
        const reply = worker === undefined ? null : await worker.ask({ type: 'admin', method, path, authorization: authorization ?? null });
        return reply === null ? json(503, { error: 'no_worker_available' }) : reply.answer;
      }
    }
  };
}

/** Each worker with its pid and how many requests it answered: is the kernel spreading load? */
async function workersView(fleet: WorkerFleet): Promise<AdminResponse> {
  const workers = await Promise.all(
    fleet.slots.map(async (worker, index) => {
      const reply = worker === null || worker.port === null ? null : await worker.ask({ type: 'metrics' });
      return {
        worker: index + 1,
        pid: worker?.pid ?? null,
        running: reply !== null,
        started_at: worker === null ? null : new Date(worker.startedAt).toISOString(),
        requests: reply === null ? null : total(reply.metrics, 'prox_requests_total'),
      };
    }),
  );
  return json(200, { workers, restarts: fleet.restarts });
}

/** Ready when every worker is running and ready. */
async function readiness(fleet: WorkerFleet): Promise<AdminResponse> {
  const problems: string[] = [];
  const details: string[] = [];
  if (fleet.stopping) problems.push('shutting down');
  const workers = await Promise.all(
    fleet.slots.map(async (worker, index) => {
      const id = index + 1;
      const reply = worker === null || worker.port === null ? null : await worker.ask({ type: 'admin', method: 'GET', path: '/readyz' });
      if (reply === null) {
        // Alive but silent (a stalled event loop, a machine under heavy load) is not the same
        // trouble as exited or restarting: say which.
        problems.push(worker !== null && worker.alive && worker.port !== null ? `worker ${id}: did not answer in time` : `worker ${id}: not running`);
        return { worker: id, pid: worker?.pid ?? null, ready: false };
      }
      const answer = JSON.parse(reply.answer.body) as { ready: boolean; problems: string[]; details?: string[] };
      for (const problem of answer.problems) problems.push(`worker ${id}: ${problem}`);
      for (const detail of answer.details ?? []) details.push(`worker ${id}: ${detail}`);
      return { worker: id, pid: worker!.pid ?? null, ready: answer.ready };
    }),
  );
  const ready = problems.length === 0;
  return json(ready ? 200 : 503, { ready, problems, details, workers });
}

/** Sum of one counter's series in a worker's registry JSON. */
function total(metrics: readonly unknown[], name: string): number {
  const metric = (metrics as { name: string; values: { value: number }[] }[]).find((m) => m.name === name);
  return metric === undefined ? 0 : metric.values.reduce((sum, v) => sum + v.value, 0);
}

function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(value, null, 2) + '\n' };
}
