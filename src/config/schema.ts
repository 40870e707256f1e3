import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import standaloneCode from 'ajv/dist/standalone';
import type { ConfigPath } from './config-path';
import { CONFIG_SCHEMA } from './schema-source';

/** The subset of JSON Schema this project's schema uses, enough to walk it for descriptions. */
export interface SchemaNode {
  readonly $ref?: string;
  readonly description?: string;
  readonly type?: string | readonly string[];
  readonly properties?: Readonly<Record<string, SchemaNode | boolean>>;
  readonly required?: readonly string[];
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
 * Where the shipped JSON copy of the schema lives, for users and editors: the package root. This
 * module runs from `src/config` under ts-jest and from `dist/config` once built, both two levels
 * below it. prox itself validates with CONFIG_SCHEMA; a test keeps the file equal to it.
 */
export const CONFIG_SCHEMA_PATH = path.join(__dirname, '..', '..', 'config.schema.json');

let validator: ValidateFunction | undefined;

/** The schema as a walkable tree (SchemaNode names only the keywords the walkers read). */
export function configSchema(): SchemaNode {
  return CONFIG_SCHEMA as SchemaNode;
}

/**
 * The text of `config.schema.json`: CONFIG_SCHEMA as JSON, two-space indented, with a value
 * that fits on one line of 100 columns kept on it, except a node carrying a description.
 * `npm run schema` writes it; a test compares it with the committed file.
 */
export function configSchemaJson(): string {
  return `${formatJson(CONFIG_SCHEMA, '', 0)}\n`;
}

const JSON_WIDTH = 100;

function formatJson(value: unknown, indent: string, keyWidth: number): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const described = !Array.isArray(value) && 'description' in value;
  const oneLine = compactJson(value);
  if (!described && indent.length + keyWidth + oneLine.length + 1 <= JSON_WIDTH) return oneLine;
  const inner = `${indent}  `;
  const lines = Array.isArray(value)
    ? value.map((item) => inner + formatJson(item, inner, 1))
    : Object.entries(value).map(([key, item]) => {
        const label = `${JSON.stringify(key)}: `;
        return inner + label + formatJson(item, inner, label.length + 1);
      });
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${lines.join(',\n')}\n${indent}${close}`;
}

function compactJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(compactJson).join(', ')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const entries = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${compactJson(item)}`);
  return entries.length === 0 ? '{}' : `{ ${entries.join(', ')} }`;
}

/**
 * The schema validator, made once per process. `npm run build` writes it as plain JavaScript next
 * to this module (ajv's standalone code), which loads in a few milliseconds where compiling the
 * schema costs about half a second of CPU at every `prox validate` and start. Without that file
 * (ts-jest runs the sources), or when it was generated from another schema, it is compiled here.
 */
export function configValidator(): ValidateFunction {
  validator ??= precompiledValidator() ?? newAjv().compile(configSchema());
  return validator;
}

const PRECOMPILED_VALIDATOR_PATH = path.join(__dirname, 'config-validator.generated.js');

interface PrecompiledModule {
  readonly validate: ValidateFunction;
  readonly schemaHash: string;
}

function precompiledValidator(): ValidateFunction | null {
  if (!existsSync(PRECOMPILED_VALIDATOR_PATH)) return null;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a build output, present only in dist
  const compiled = require(PRECOMPILED_VALIDATOR_PATH) as PrecompiledModule;
  return compiled.schemaHash === schemaHash() ? compiled.validate : null;
}

function schemaHash(): string {
  return createHash('sha256').update(JSON.stringify(CONFIG_SCHEMA)).digest('hex');
}

function newAjv(options: { source?: boolean } = {}): Ajv {
  // verbose: error objects then carry the failing schema and data, which the error mapper
  // needs for "did you mean" candidates and for quoting the offending value.
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, strictTypes: false, strictRequired: false, code: { source: options.source === true } });
  addFormats(ajv, ['email', 'uri']);
  return ajv;
}

/** The JavaScript module `npm run build` writes: the validator as ajv standalone code, and the hash of its schema. */
export function precompiledValidatorSource(): string {
  const ajv = newAjv({ source: true });
  const standalone = standaloneCode(ajv, ajv.compile(configSchema()));
  // ajv's module exports the function itself; the hash rides along as a property of the exports.
  return `${standalone}\nmodule.exports.validate = module.exports;\nmodule.exports.schemaHash = ${JSON.stringify(schemaHash())};\n`;
}

/** Called by `npm run build` on the compiled module. */
export function writePrecompiledValidator(): void {
  writeFileSync(PRECOMPILED_VALIDATOR_PATH, precompiledValidatorSource());
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
