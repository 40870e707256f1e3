import { diffFiles } from '../app/tools/diff-command';
import { createToolParts } from '../composition/tool-parts';

const io = { out: (s: string) => console.log(s), err: (s: string) => console.error(s) };

/** `prox diff OLD NEW`; returns the exit code (0 same, 1 changes, 2 error). */
export function runDiff(oldFile: string, newFile: string, opts: { readonly format: 'text' | 'json' }): Promise<number> {
  return diffFiles(oldFile, newFile, opts.format, createToolParts().trustPredicate, io);
}
