import * as path from 'node:path';
import { loadConfigText } from '../config/loader';
import type { LoadResult, ProxConfig } from '../config/model';
import type { AdminHandler, AdminRequestBody, AdminResponse } from '../ports/admin-server';
import type { ConfigSource } from './lifecycle/config-source';
import { diffConfigs } from './tools/config-diff';
import type { TrustPredicateFactory } from './tools/offline-compile';

/** A candidate config larger than this is refused (413): configs are text, a few KiB to a few hundred. */
export const CANDIDATE_MAX_BYTES = 1024 * 1024;

export interface ConfigPreviewDependencies {
  /** The config running now; null before the first one runs. */
  running(): ProxConfig | null;
  /** What reloads read; null until the lifecycle names it. */
  source(): ConfigSource | null;
  readonly trustPredicate: TrustPredicateFactory;
  nowMs(): number;
}

/**
 * `POST /config/diff` (a candidate config in the body) and `POST /reload?dry_run=1` (the config
 * file on disk): what applying it would change, as `prox diff --format json` reports it against
 * the running config. Nothing is applied; other paths go to `handler`.
 */
export function withConfigPreview(handler: AdminHandler, deps: ConfigPreviewDependencies): AdminHandler {
  return (method, path, query = '', authorization, body) => {
    if (path === '/config/diff') return postOnly(method) ?? diffCandidate(body ?? null, deps);
    if (path === '/reload') return postOnly(method) ?? dryRunReload(query, deps);
    return handler(method, path, query, authorization, body);
  };
}

function postOnly(method: string): Promise<AdminResponse> | null {
  return method === 'POST' ? null : Promise.resolve(json(405, { error: 'method_not_allowed', allowed: ['POST'] }));
}

async function diffCandidate(body: AdminRequestBody | null, deps: ConfigPreviewDependencies): Promise<AdminResponse> {
  const running = deps.running();
  if (running === null) return notRunning();
  const text = body === null ? '' : await body.read(CANDIDATE_MAX_BYTES);
  if (text === null) return json(413, { error: 'payload_too_large', detail: `a candidate config is at most ${CANDIDATE_MAX_BYTES} bytes`, limit_bytes: CANDIDATE_MAX_BYTES });
  const loaded = loadConfigText(text, candidateName(deps.source(), body?.contentType ?? null), { lint: true });
  if (!loaded.ok) return invalid(loaded, {});
  return json(200, diffConfigs(running, loaded.config, deps.trustPredicate, deps.nowMs()));
}

async function dryRunReload(query: string, deps: ConfigPreviewDependencies): Promise<AdminResponse> {
  const dryRun = new URLSearchParams(query).get('dry_run');
  if (dryRun !== '1' && dryRun !== 'true') {
    return json(400, { error: 'bad_request', detail: 'only POST /reload?dry_run=1 is served: it applies nothing (SIGHUP or a change of the file reloads)' });
  }
  const running = deps.running();
  const source = deps.source();
  if (running === null || source === null) return notRunning();
  const loaded = await source.load({ lint: true });
  if (!loaded.ok) return invalid(loaded, { dry_run: true, file: source.name, diff: null });
  const diff = diffConfigs(running, loaded.config, deps.trustPredicate, deps.nowMs());
  return json(200, { dry_run: true, file: source.name, valid: true, errors: [], warnings: loaded.warnings, diff });
}

/**
 * The candidate is named as a file beside the running config, so its relative paths (static
 * roots, error pages, certificates) resolve where the running config's do; `.toml` when the
 * body says it is TOML, as the Apex format is detected by its file name.
 */
function candidateName(source: ConfigSource | null, contentType: string | null): string {
  const directory = source === null ? '.' : path.dirname(source.name);
  return path.join(directory, /toml/i.test(contentType ?? '') ? 'candidate.toml' : 'candidate.yaml');
}

function invalid(loaded: Extract<LoadResult, { ok: false }>, fields: Record<string, unknown>): AdminResponse {
  return json(422, { error: 'invalid_config', ...fields, valid: false, errors: loaded.errors, warnings: loaded.warnings });
}

function notRunning(): AdminResponse {
  return json(503, { error: 'not_running', detail: 'no config runs yet' });
}

function json(status: number, value: unknown): AdminResponse {
  return { status, contentType: 'application/json', body: JSON.stringify(value, null, 2) + '\n' };
}
