import { availableParallelism } from 'node:os';

/** `workers: auto` is one per CPU this process may run on (cgroup and affinity limits included). */
export function resolveWorkerCount(setting: number | 'auto'): number {
  return setting === 'auto' ? Math.max(1, availableParallelism()) : setting;
}
