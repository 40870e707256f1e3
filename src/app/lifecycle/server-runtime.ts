import type { ProxConfig } from '../../config/model';
import type { Logger, LogFields } from '../../ports/logger';
import type { ProxServer } from '../prox-server';
import type { ConfigSource } from './config-source';
import type { ApplyResult, ListenAddress, ProxRuntime } from './prox-runtime';

/** One ProxServer in this process: `prox serve` with one worker, each worker, the programmatic API. */
export class ServerRuntime implements ProxRuntime {
  constructor(
    private readonly server: ProxServer,
    private readonly logger: Logger,
  ) {}

  async start(config: ProxConfig): Promise<void> {
    try {
      await this.server.start(config);
    } catch (error) {
      // Whatever did start (admin listener, health checks) must not outlive a failed start
      // in a process that keeps running (the programmatic API).
      await this.server.shutdown(0);
      throw error;
    }
  }

  async apply(config: ProxConfig, { file, trigger }: { file: string; trigger: string }): Promise<ApplyResult> {
    const result = await this.server.replaceConfig(config);
    if (!result.applied) {
      this.logger.error('config reload failed; the running config stays', { file, trigger, reason: result.reason });
      return result;
    }
    this.logger.info('config reloaded', { file, trigger, routes: config.routes.length, rebound: result.rebound });
    return result;
  }

  useConfigSource(source: ConfigSource): void {
    this.server.useConfigSource(source);
  }

  rejected(): void {
    this.server.reloadRejected();
  }

  drain(timeoutMs: number): Promise<boolean> {
    return this.server.shutdown(timeoutMs);
  }

  /** Nothing to cut beyond the process itself, which exits next. */
  abort(): void {}

  activity(): LogFields {
    return { inFlight: this.server.inFlight };
  }

  get address(): ListenAddress {
    return this.server.address;
  }

  get adminAddress(): ListenAddress | null {
    return this.server.adminAddress;
  }
}
