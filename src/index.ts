/**
 * prox as a library, for Node applications that embed it: start it in this process, reload and
 * close it from code, validate config text. Unlike `prox serve`, it installs no signal or
 * uncaughtException handlers (the application owns its process) and watches no file unless
 * asked. See docs/api.md.
 */
import { ConfigFileSource, ConfigSource, ConfigTextSource, diagnosticFields } from './app/lifecycle/config-source';
import type { ListenAddress } from './app/lifecycle/prox-runtime';
import type { ReloadOutcome } from './app/lifecycle/reload-outcome';
import { lifecycleFor } from './app/prox-parts';
import { formatDiagnostic } from './app/validation-report';
import { createLogger, createProxParts } from './composition/process-parts';
import { loadConfigText } from './config/loader';
import type { Diagnostic } from './config/model';
import type { Logger } from './ports/logger';

export type { Diagnostic, Severity } from './config/model';
export type { Logger, LogFields } from './ports/logger';
export type { ListenAddress } from './app/lifecycle/prox-runtime';

/** How a reload ended: `applied`, `invalid` (see `errors`) or `failed` (see `reason`). */
export type ReloadResult = ReloadOutcome;

/** Names config text that has no file: in diagnostics, and as the anchor of its relative paths (the working directory). */
const TEXT_CONFIG_NAME = '<config>';

export interface StartOptions {
  /** The config as YAML text. Give this or `configPath`. */
  readonly config?: string;
  /** A YAML config file. Give this or `config`. */
  readonly configPath?: string;
  /**
   * With `config`: the file name shown in diagnostics; relative paths in the config
   * (`access_log.path`, error page files, static roots) resolve against its directory.
   * Default `<config>` in the working directory.
   */
  readonly file?: string;
  /** With `configPath`: reload when the file changes. Default false (call `reload()`). */
  readonly watch?: boolean;
  /** The operational log. Default: JSON lines on stdout, as `prox serve` writes them. */
  readonly logger?: Logger;
  /** Environment read for PROX_HTTP_SERVER (node|uws). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
}

export interface RunningProx {
  /** The public listener; with `listen_addr` port 0, the port the system picked. Follows a reload that changed `listen_addr`. */
  readonly address: ListenAddress;
  /** The admin listener, or null with `admin: { enabled: false }`. */
  readonly adminAddress: ListenAddress | null;
  /**
   * Loads the config again and applies it: the file again, or `config` (new YAML text, only
   * for a prox started from text). Reloads run one at a time; one asked for while another runs
   * is folded into the next. An invalid or unappliable config keeps the running one, and the
   * result says why; it rejects only when given text for a prox that reads a file.
   */
  reload(config?: string): Promise<ReloadResult>;
  /** Stops accepting, lets in-flight requests finish (up to `shutdown_timeout_secs`), then closes everything. */
  close(): Promise<void>;
}

/** The config given to `startProx` is invalid or unreadable; `message` lists every error as `file:line:col`. */
export class ProxConfigError extends Error {
  constructor(
    readonly errors: readonly Diagnostic[],
    readonly warnings: readonly Diagnostic[],
  ) {
    super(`invalid prox config:\n${errors.map(formatDiagnostic).join('\n')}`);
    this.name = 'ProxConfigError';
  }
}

/**
 * Validates the config, starts listening (after the first round of health checks), and
 * resolves once prox serves. Rejects with a `ProxConfigError` for an invalid config, or with
 * the cause when it cannot start (e.g. the address is in use). `workers:` is not used: prox
 * runs in this process (run `prox serve` for several worker processes).
 */
export async function startProx(options: StartOptions): Promise<RunningProx> {
  const source = sourceOf(options);
  const logger = options.logger ?? createLogger();
  const loaded = await source.load();
  for (const warning of loaded.warnings) logger.warn('config warning', diagnosticFields(warning));
  if (!loaded.ok) throw new ProxConfigError(loaded.errors, loaded.warnings);
  const parts = createProxParts({ env: options.env ?? process.env, logger, workerScript: null });
  const environmentProblem = parts.environmentProblem(loaded.config.engine);
  if (environmentProblem !== null) throw new Error(environmentProblem);
  const lifecycle = lifecycleFor(source, loaded.config, parts, { control: null, watch: options.watch === true });
  await lifecycle.start(loaded.config);
  return {
    get address() {
      return plainAddress(lifecycle.address);
    },
    get adminAddress() {
      const admin = lifecycle.adminAddress;
      return admin === null ? null : plainAddress(admin);
    },
    reload(config?: string) {
      if (config !== undefined) {
        if (!(source instanceof ConfigTextSource)) return Promise.reject(new TypeError('reload(config) is for a prox started from `config` text; this one reads its configPath'));
        source.replace(config);
      }
      return lifecycle.reload('reload()');
    },
    async close() {
      await lifecycle.stop('close()');
    },
  };
}

export interface ValidationResult {
  readonly ok: boolean;
  /** Each with the YAML line and column it is about (0 when about the whole file), as `prox validate` prints them. */
  readonly errors: readonly Diagnostic[];
  readonly warnings: readonly Diagnostic[];
}

/** Checks config text the way `prox validate` checks a file; starts nothing. */
export function validateConfig(text: string, options: { readonly file?: string } = {}): ValidationResult {
  const loaded = loadConfigText(text, options.file ?? TEXT_CONFIG_NAME);
  return { ok: loaded.ok, errors: loaded.ok ? [] : loaded.errors, warnings: loaded.warnings };
}

/** One finding as `prox validate` prints it: `file:line:col  severity  /path  message` and a hint line. */
export { formatDiagnostic };

function sourceOf(options: StartOptions): ConfigSource {
  if ((options.config === undefined) === (options.configPath === undefined)) {
    throw new TypeError('startProx needs exactly one of `config` (YAML text) and `configPath`');
  }
  return options.configPath !== undefined ? new ConfigFileSource(options.configPath) : new ConfigTextSource(options.config!, options.file ?? TEXT_CONFIG_NAME);
}

function plainAddress(address: ListenAddress): ListenAddress {
  return { host: address.host, port: address.port };
}
