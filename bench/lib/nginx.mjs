// What every nginx the bench starts has in common: one worker, foreground, files under `root`.
import { join } from 'node:path';
import { hardFdLimit } from './system.mjs';

export function nginxMainContext(root) {
  return `daemon off;
worker_processes 1;
worker_rlimit_nofile ${hardFdLimit()};
error_log ${join(root, 'logs', 'error.log')} warn;
pid ${join(root, 'nginx.pid')};
events { worker_connections 20000; }`;
}
