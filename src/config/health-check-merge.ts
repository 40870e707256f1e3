import { asRecord } from './raw-config';

/**
 * The `health_check` fields in force for one route, as written: the top-level block, then the
 * route's own block field by field on top. Defaults are not filled in. `null` when neither block
 * is written (no active checks). Tolerates schema-invalid input, so checks can use it too.
 */
export function mergedHealthCheckFields(globalBlock: unknown, routeBlock: unknown): Record<string, unknown> | null {
  const global = asRecord(globalBlock);
  const route = asRecord(routeBlock);
  if (!global && !route) return null;
  const merged: Record<string, unknown> = {};
  for (const block of [global, route]) {
    for (const [field, value] of Object.entries(block ?? {})) {
      if (value !== undefined) merged[field] = value;
    }
  }
  return merged;
}
