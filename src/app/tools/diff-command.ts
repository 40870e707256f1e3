import { loadConfigFile } from '../../config/loader';
import { formatDiagnostic } from '../validation-report';
import { DIFF_EXIT, diffConfigs } from './config-diff';
import { formatDiff } from './diff-report';
import type { ToolIo } from './explain-command';
import type { TrustPredicateFactory } from './offline-compile';

/** `prox diff OLD NEW` (and `prox validate --against OLD`): returns the exit code. */
export async function diffFiles(oldFile: string, newFile: string, format: 'text' | 'json', trustPredicate: TrustPredicateFactory, io: ToolIo): Promise<number> {
  const [before, after] = await Promise.all([loadConfigFile(oldFile), loadConfigFile(newFile)]);
  let broken = false;
  for (const [file, loaded] of [[oldFile, before], [newFile, after]] as const) {
    if (loaded.ok) continue;
    broken = true;
    for (const d of loaded.errors) io.err(formatDiagnostic(d));
    io.err(`${file}: invalid, cannot compare`);
  }
  if (!before.ok || !after.ok || broken) return DIFF_EXIT.error;
  const diff = diffConfigs(before.config, after.config, trustPredicate, Date.now());
  io.out(format === 'json' ? JSON.stringify(diff, null, 2) : formatDiff(diff, oldFile, newFile));
  return diff.changed ? DIFF_EXIT.changed : DIFF_EXIT.same;
}
