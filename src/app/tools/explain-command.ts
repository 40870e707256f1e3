import { loadConfigFile } from '../../config/loader';
import { formatDiagnostic } from '../validation-report';
import { EXPLAIN_EXIT, explainRequest } from './explain';
import type { ExplainInput } from './explain-request';
import { formatExplanation } from './explain-report';
import type { TrustPredicateFactory } from './offline-compile';

export interface ToolIo {
  readonly out: (s: string) => void;
  readonly err: (s: string) => void;
}

/** `prox explain`: loads the file as `prox serve` would and explains one request; returns the exit code. */
export async function explainFromFile(file: string, input: ExplainInput, format: 'text' | 'json', trustPredicate: TrustPredicateFactory, io: ToolIo): Promise<number> {
  const loaded = await loadConfigFile(file);
  if (!loaded.ok) {
    for (const d of loaded.errors) io.err(formatDiagnostic(d));
    io.err(`${file}: invalid, nothing to explain`);
    return EXPLAIN_EXIT.error;
  }
  let explanation;
  try {
    explanation = explainRequest(loaded.config, input, trustPredicate, Date.now());
  } catch (error) {
    io.err(`prox explain: ${(error as Error).message}`);
    return EXPLAIN_EXIT.error;
  }
  io.out(format === 'json' ? JSON.stringify(explanation, null, 2) : formatExplanation(explanation));
  return explanation.matched ? EXPLAIN_EXIT.matched : EXPLAIN_EXIT.noRoute;
}
