import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ConfigPath } from './config-path';

/** The subset of JSON Schema this project's schema uses, enough to walk it for descriptions. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly description?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode | boolean>>;
  readonly additionalProperties?: SchemaNode | boolean;
  readonly patternProperties?: Readonly<Record<string, SchemaNode>>;
  readonly items?: SchemaNode;
  readonly enum?: readonly unknown[];
  readonly default?: unknown;
  readonly definitions?: Readonly<Record<string, SchemaNode>>;
  readonly allOf?: readonly SchemaNode[];
  readonly if?: SchemaNode;
  readonly then?: SchemaNode;
  readonly const?: unknown;
}

/**
 * Resolved from `__dirname` rather than imported so it stays one file at the package root: this
 * module runs from `src/config` under ts-jest and from `dist/config` once built, both two levels
 * below the root.
 */
export const CONFIG_SCHEMA_PATH = path.join(__dirname, '..', '..', 'config.schema.json');

let schema: SchemaNode | undefined;
let validator: ValidateFunction | undefined;

export function configSchema(): SchemaNode {
  schema ??= JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as SchemaNode;
  return schema;
}

/** Compiled on first use and kept: compiling costs far more than validating. */
export function configValidator(): ValidateFunction {
  if (!validator) {
    // verbose: error objects then carry the failing schema and data, which the error mapper
    // needs for "did you mean" candidates and for quoting the offending value.
    const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false });
    addFormats(ajv, ['email', 'uri']);
    validator = ajv.compile(configSchema());
  }
  return validator;
}

export function resolveRef(node: SchemaNode | boolean | undefined): SchemaNode | undefined {
  if (node === undefined || typeof node === 'boolean') return undefined;
  if (node.$ref === undefined) return node;
  const name = node.$ref.replace(/^#\/definitions\//, '');
  return resolveRef(configSchema().definitions?.[name]);
}

/** The schema that describes the value at `instancePath`, if the schema says anything about it. */
export function schemaAt(instancePath: ConfigPath): SchemaNode | undefined {
  let node = resolveRef(configSchema());
  for (const segment of instancePath) {
    if (!node) return undefined;
    const named = node.properties?.[segment];
    if (named !== undefined) node = resolveRef(named);
    else if (node.items) node = resolveRef(node.items);
    else node = resolveRef(node.additionalProperties);
  }
  return node;
}

export function describeField(instancePath: ConfigPath): string | null {
  return schemaAt(instancePath)?.description ?? null;
}

/**
 * Route types whose `then` branch does not forbid `field`, read from the schema's
 * `if: {type: const X} then: {properties: {field: false}}` blocks so the rule lives in one place.
 */
export function routeTypesAccepting(field: string): string[] {
  const route = configSchema().definitions?.['route'];
  const accepting: string[] = [];
  for (const branch of route?.allOf ?? []) {
    const type = resolveRef(branch.if?.properties?.['type'])?.const;
    if (typeof type !== 'string') continue;
    if (branch.then?.properties?.[field] !== false) accepting.push(type);
  }
  return accepting;
}
