import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { DiagnosticList } from './diagnostics';
import { checkErrorPages } from './error-pages';
import type { ErrorPageFiles } from './error-pages';
import { reportInactiveFeatures } from './inactive-features';
import type { LoadResult } from './model';
import { normaliseConfig } from './normalise';
import type { RawConfig } from './raw-config';
import { configValidator } from './schema';
import { reportSchemaErrors } from './schema-errors';
import { lintConfig } from './route-lint';
import { conversionToYaml } from './formats/convert';
import { detectFormat } from './formats/detect';
import { foreignFilePositions } from './formats/foreign-positions';
import { runSemanticChecks } from './semantic-checks';
import { checkStaticRoutes } from './static-checks';
import { checkTlsSettings } from './tls-checks';
import { checkUpstreamTls, type UpstreamCaFiles } from './upstream-tls';
import { checkUsersFiles, type UsersFiles } from './users-files';
import { parseYamlSource } from './yaml-source';

export const DEFAULT_CONFIG_FILE = 'config.yaml';

/** `--config` wins over `PROX_CONFIG`, which wins over `./config.yaml`. Empty values count as unset. */
export function resolveConfigPath(cliValue: string | undefined, env: NodeJS.ProcessEnv): string {
  if (cliValue) return cliValue;
  const fromEnv = env['PROX_CONFIG'];
  return fromEnv ? fromEnv : DEFAULT_CONFIG_FILE;
}

export interface LoadOptions {
  /** Also run route lint (`prox validate`): its findings join the warnings. */
  readonly lint?: boolean;
}

export async function loadConfigFile(file: string, options: LoadOptions = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const diagnostics = new DiagnosticList(file, null);
    diagnostics.aboutFile('error', `cannot read config file: ${describeReadError(error)}`, readErrorHint(error));
    return { ok: false, errors: diagnostics.errors, warnings: [], unreadable: true };
  }
  return loadConfigText(text, file, options);
}

/**
 * Validates and normalises config text. Every stage after YAML parsing runs even when an earlier
 * one failed, so a single run lists all problems; only a clean run yields a config.
 *
 * `file` names the text in diagnostics and anchors the relative paths in it (access_log.path,
 * errors.*.file, static roots):
 * they resolve against its directory, itself relative to the working directory when `file` is,
 * just as reading the file was.
 */
export function loadConfigText(text: string, file: string, options: LoadOptions = {}): LoadResult {
  const configDir = path.dirname(path.resolve(file));
  const detected = detectFormat(text, file);
  if (detected.kind === 'unrecognised') {
    const diagnostics = new DiagnosticList(file, null);
    diagnostics.atPosition('error', { line: detected.line, col: detected.col }, detected.message, 'prox reads its own YAML, and the TOML/YAML of the proxies listed in docs/cli.md (prox convert)');
    return { ok: false, errors: diagnostics.errors, warnings: [], unreadable: false };
  }
  // Another proxy's file is validated as the prox YAML it converts to (what `prox convert` prints).
  const format = detected.kind === 'foreign' ? { title: detected.format.title, notes: detected.conversion.notes.map((n) => n.message) } : undefined;
  const source = parseYamlSource(detected.kind === 'foreign' ? conversionToYaml(detected.conversion, `converted from ${detected.format.title}`) : text);
  // Findings point at the file the user edits, not at the converted YAML.
  const positions = detected.kind === 'foreign' ? foreignFilePositions(text, detected.format, detected.conversion) : source.positions;
  const diagnostics = new DiagnosticList(file, positions);
  for (const problem of source.problems) {
    diagnostics.atPosition(problem.severity, problem.position, problem.message, problem.hint);
  }

  let errorPageFiles: ErrorPageFiles = new Map();
  let caFiles: UpstreamCaFiles = new Map();
  let usersFiles: UsersFiles = new Map();
  if (source.data !== undefined) {
    const validate = configValidator();
    const schemaValid = validate(source.data);
    if (!schemaValid) reportSchemaErrors(validate.errors ?? [], source.data, diagnostics);
    runSemanticChecks(source.data, diagnostics);
    errorPageFiles = checkErrorPages(source.data, configDir, diagnostics);
    checkStaticRoutes(source.data, configDir, diagnostics);
    checkTlsSettings(source.data, configDir, diagnostics);
    caFiles = checkUpstreamTls(source.data, configDir, diagnostics);
    usersFiles = checkUsersFiles(source.data, configDir, diagnostics);
    reportInactiveFeatures(source.data, diagnostics);
  }

  if (source.data === undefined || diagnostics.hasErrors) {
    return { ok: false, errors: diagnostics.errors, warnings: diagnostics.warnings, unreadable: false };
  }
  const config = normaliseConfig(source.data as RawConfig, { configDir, errorPageFiles, caFiles, usersFiles });
  if (options.lint === true) lintConfig(config, source.data, file, diagnostics);
  return format === undefined ? { ok: true, config, warnings: diagnostics.warnings } : { ok: true, config, warnings: diagnostics.warnings, format };
}

function describeReadError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (error as Error).message;
  }
}

function readErrorHint(error: unknown): string {
  return (error as NodeJS.ErrnoException).code === 'ENOENT'
    ? `pass --config <file> or set PROX_CONFIG; without either, prox reads ./${DEFAULT_CONFIG_FILE}`
    : 'check the path and its permissions';
}
