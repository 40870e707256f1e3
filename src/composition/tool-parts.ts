import { trustPredicateFor } from '../adapters/system/proxy-addr-trust';
import type { TrustPredicateFactory } from '../app/tools/offline-compile';

/** What the offline tools (`prox explain`, `prox diff`) need from the adapters: the server's own trust test. */
export interface ToolParts {
  readonly trustPredicate: TrustPredicateFactory;
}

export function createToolParts(): ToolParts {
  return { trustPredicate: trustPredicateFor };
}
