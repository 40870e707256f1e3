/**
 * The config exactly as written in YAML (snake_case, defaults not yet applied), typed as the
 * schema guarantees once validation has passed. Only the normaliser relies on these types; checks
 * that run on possibly-invalid input treat the data as `unknown`.
 *
 * Every type here is inferred from CONFIG_SCHEMA (src/config/schema-source.ts) by json-schema-to-ts:
 * a field added to the schema appears here, and the core model's literal unions are checked
 * against the schema's enums at the end of this file, so the three cannot drift apart.
 */
import type { FromSchema, JSONSchema } from 'json-schema-to-ts';
import type {
  AccessLogConfig,
  BalanceStrategy,
  ErrorPageSpec,
  HashKeySpec,
  HealthCheckSpec,
  RateLimitSpec,
  RedirectStatus,
  RetryCondition,
  RouteConfig,
} from '../core/model';
import type { CONFIG_SCHEMA } from './schema-source';

type Schema = typeof CONFIG_SCHEMA;

/**
 * What inference reads of the schema. Left out: `allOf` of `route` (its `if`/`then` branches only
 * forbid fields per route type; json-schema-to-ts would re-derive the whole route once per branch)
 * and the root's `^x-` pattern (YAML anchor holders that prox ignores; keeping it would give
 * RawConfig an index signature).
 */
type Definitions = Omit<Schema['definitions'], 'route'> & {
  readonly route: Omit<Schema['definitions']['route'], 'allOf'>;
};

type Inferred<S> = DeepReadonly<
  FromSchema<
    S & { readonly definitions: Definitions } extends infer Rooted extends JSONSchema ? Rooted : never,
    {
      // A field with a `default` may still be left out of the YAML.
      keepDefaultedPropertiesOptional: true;
      // `workers: auto`: the schema allows that string with a pattern, which inference alone
      // would read as any string.
      deserialize: [{ pattern: { type: 'string'; pattern: '^auto$' }; output: 'auto' }];
    }
  >
>;

type DeepReadonly<T> = T extends readonly (infer Item)[]
  ? readonly DeepReadonly<Item>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

type Definition<Name extends keyof Definitions> = Inferred<Definitions[Name]>;

export type RawConfig = Inferred<Omit<Schema, 'definitions' | 'patternProperties'>>;
export type RawRoute = Definition<'route'>;
/** A backend as written: a URL, or `{url, weight}`. */
export type RawTarget = Definition<'backend_target'>;
export type RawWeightedTarget = Exclude<RawTarget, string>;
export type RawHealthCheck = Definition<'health_check'>;
export type RawHashKey = Definition<'hash_key'>;
export type RawPassiveHealth = Definition<'passive_health'>;
export type RawCircuitBreaker = Definition<'circuit_breaker'>;
export type RawRetries = Definition<'retries'>;
export type RawErrorPage = Definition<'error_page'>;
/** Status code (as written, a string key) to its error page. */
export type RawErrorPages = Definition<'error_pages'>;
export type RawRateLimit = Definition<'rate_limit'>;
export type RawStrategy = NonNullable<RawRoute['strategy']>;
export type RawCondition = Definition<'condition'>;
export type RawHeaderRule = Definition<'header_rule'>;
export type RawBodyRule = Definition<'body_rule'>;
export type RawLimits = NonNullable<RawConfig['limits']>;
export type RawAdmin = NonNullable<RawConfig['admin']>;
export type RawAccessLog = NonNullable<RawConfig['access_log']>;
export type RawTls = NonNullable<RawConfig['tls']>;
export type RawAcme = Definition<'acme'>;

/**
 * The core model (src/core/model.ts) spells its literal unions out itself, since the core imports
 * nothing from src/config; these checks fail the build (`tsc`, and so `npm test`) when one of them
 * and the schema's enum disagree. Status codes written as strings ("502") are numbers in the core.
 */
export type CoreUnionsMatchSchema = [
  Expect<Same<BalanceStrategy, RawStrategy>>,
  Expect<Same<RedirectStatus, NonNullable<RawRoute['status_code']>>>,
  Expect<Same<RetryCondition, NumericCodes<NonNullable<RawRetries['on']>[number]>>>,
  Expect<Same<RouteConfig['type'], RawRoute['type']>>,
  Expect<Same<HealthCheckSpec['method'], NonNullable<RawHealthCheck['method']>>>,
  Expect<Same<HashKeySpec['by'], NonNullable<RawHashKey['by']>>>,
  Expect<Same<RateLimitSpec['by'], RawRateLimit['by']>>,
  Expect<Same<RateLimitSpec['algorithm'], NonNullable<RawRateLimit['algorithm']>>>,
  Expect<Same<RateLimitSpec['onMissingKey'], NonNullable<RawRateLimit['on_missing_key']>>>,
  Expect<Same<RateLimitSpec['mode'], NonNullable<RawRateLimit['mode']>>>,
  Expect<Same<ErrorPageSpec['type'], NonNullable<RawErrorPage['type']>>>,
  Expect<Same<AccessLogConfig['format'], NonNullable<RawAccessLog['format']>>>,
];

/** "Type 'false' does not satisfy the constraint 'true'" here: the core and the schema disagree. */
type Expect<T extends true> = T;
/** Exact equality (`any` equals nothing but `any`). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type NumericCodes<T> = T extends `${infer Code extends number}` ? Code : T;

/** Narrowing helpers for checks that must tolerate schema-invalid data. */
export function asRecord(value: unknown): Readonly<Record<string, unknown>> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
