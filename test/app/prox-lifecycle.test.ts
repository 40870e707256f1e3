import { ProxLifecycle } from '../../src/app/lifecycle/prox-lifecycle';
import { SERVE_SIGNALS, WORKER_SIGNALS } from '../../src/app/lifecycle/process-control';
import { RecordingLogger } from '../core/support/fakes';
import { config, FakeProcess, FakeRuntime, FakeSource, invalid } from './lifecycle-fakes';

function setup(options: { signals?: typeof SERVE_SIGNALS; reportFindings?: boolean } = {}) {
  const source = new FakeSource();
  const runtime = new FakeRuntime();
  const proc = new FakeProcess();
  const logger = new RecordingLogger();
  const watch = { onChange: (): void => undefined, closed: false };
  const lifecycle = new ProxLifecycle({
    source,
    runtime,
    logger,
    process: { control: proc, signals: options.signals ?? SERVE_SIGNALS },
    watch: (onChange) => {
      watch.onChange = onChange;
      return { close: () => (watch.closed = true) };
    },
    reportFindings: options.reportFindings ?? true,
  });
  const messages = (): string[] => logger.entries.map((entry) => entry.message);
  return { source, runtime, proc, logger, watch, lifecycle, messages };
}

describe('ProxLifecycle', () => {
  it('takes stop signals before startup: a SIGTERM while starting drains once started', async () => {
    const { runtime, proc, lifecycle, messages } = setup();
    const started = lifecycle.start(config('initial', 7));
    expect(proc.send('SIGTERM')).toBe(true);
    expect(runtime.drainTimeouts).toEqual([]);
    runtime.starting.resolve();
    await started;
    expect(await runtime.drainStarted()).toBe(7_000);
    runtime.draining.resolve(true);
    expect(await lifecycle.stopped).toBe(true);
    expect(messages()).toEqual(['shutting down', 'stopped']);
  });

  it('treats one more stop signal while stopping as "now": the runtime is cut and the process exits', async () => {
    const { runtime, proc, lifecycle } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    proc.send('SIGINT');
    await runtime.drainStarted();
    expect(proc.exitedNow).toBe(0);
    proc.send('SIGTERM');
    expect({ aborted: runtime.aborted, exitedNow: proc.exitedNow }).toEqual({ aborted: 1, exitedNow: 1 });
  });

  it('drains once however often stop is asked for, with the timeout of the config running now', async () => {
    const { source, runtime, lifecycle } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial', 30));
    source.serve(config('next', 3));
    const reloaded = lifecycle.reload('test');
    await runtime.applies(1);
    runtime.finishApply();
    expect((await reloaded).status).toBe('applied');
    const first = lifecycle.stop('close()');
    const second = lifecycle.stop('close()');
    runtime.draining.resolve(false);
    expect(await first).toBe(false);
    expect(await second).toBe(false);
    expect(runtime.drainTimeouts).toEqual([3_000]);
  });

  it('holds reloads asked for during startup and runs one of them right after', async () => {
    const { source, runtime, proc, watch, lifecycle } = setup();
    const started = lifecycle.start(config('initial'));
    source.serve(config('changed'));
    proc.send('SIGHUP');
    watch.onChange();
    proc.send('SIGHUP');
    expect(source.loads).toBe(0);
    runtime.starting.resolve();
    await started;
    await runtime.applies(1);
    runtime.finishApply();
    expect(runtime.applied).toEqual(['changed']);
    expect(source.loads).toBe(1);
  });

  it('runs reloads one at a time and folds a burst into one follow-up with the newest config', async () => {
    const { source, runtime, lifecycle } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    source.serve(config('first'));
    const first = lifecycle.reload('file changed');
    await runtime.applies(1);
    source.serve(config('second'));
    const second = lifecycle.reload('file changed');
    source.serve(config('third'));
    const third = lifecycle.reload('SIGHUP');
    expect(source.loads).toBe(1);
    runtime.finishApply();
    await runtime.applies(2);
    runtime.finishApply({ applied: false, reason: 'address already in use' });
    expect(await first).toMatchObject({ status: 'applied' });
    // Both folded requests get the follow-up's outcome.
    expect(await second).toEqual({ status: 'failed', errors: [], warnings: [], reason: 'address already in use' });
    expect(await third).toBe(await second);
    expect(runtime.applied).toEqual(['first', 'third']);
  });

  it('refuses an invalid file: counted and logged, nothing applied, errors in the outcome', async () => {
    const { source, runtime, lifecycle, logger } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    source.serve(invalid());
    const outcome = await lifecycle.reload('SIGHUP');
    expect(outcome.status).toBe('invalid');
    expect(outcome.errors.length).toBeGreaterThan(0);
    expect(outcome.errors[0]!.line).toBe(1);
    expect(runtime.applied).toEqual([]);
    expect(runtime.rejectedCount).toBe(1);
    const summary = logger.entries.find((entry) => entry.message === 'config reload rejected; the running config stays');
    expect(summary?.fields).toMatchObject({ file: 'test.yaml', trigger: 'SIGHUP' });
  });

  it('leaves reporting a file\'s findings to the supervisor when told to (workers)', async () => {
    const { source, runtime, lifecycle, messages } = setup({ signals: WORKER_SIGNALS, reportFindings: false });
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    source.serve(invalid());
    expect((await lifecycle.reload('supervisor')).status).toBe('invalid');
    expect(runtime.rejectedCount).toBe(1);
    expect(messages()).toEqual([]);
  });

  it('reloads on SIGHUP and on file changes, but in a worker takes SIGHUP and SIGINT only to ignore them', async () => {
    const serve = setup();
    serve.runtime.starting.resolve();
    await serve.lifecycle.start(config('initial'));
    serve.proc.send('SIGHUP');
    await serve.runtime.applies(1);

    const worker = setup({ signals: WORKER_SIGNALS });
    worker.runtime.starting.resolve();
    await worker.lifecycle.start(config('initial'));
    expect(worker.proc.send('SIGHUP')).toBe(true);
    expect(worker.proc.send('SIGINT')).toBe(true);
    expect(worker.source.loads).toBe(0);
    expect(worker.runtime.drainTimeouts).toEqual([]);
  });

  it('after a stop: no more reloads, the watch is closed, and the signals are handed back once stopped', async () => {
    const { runtime, proc, watch, lifecycle } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    void lifecycle.stop('close()');
    expect(watch.closed).toBe(true);
    expect(await lifecycle.reload('SIGHUP')).toEqual({ status: 'failed', errors: [], warnings: [], reason: 'shutting down' });
    expect(proc.listening('SIGTERM')).toBe(1);
    runtime.draining.resolve(true);
    await lifecycle.stopped;
    expect([proc.listening('SIGTERM'), proc.listening('SIGINT'), proc.listening('SIGHUP')]).toEqual([0, 0, 0]);
  });

  it('drops a reload still waiting when stopped', async () => {
    const { source, runtime, lifecycle } = setup();
    runtime.starting.resolve();
    await lifecycle.start(config('initial'));
    source.serve(config('first'));
    void lifecycle.reload('SIGHUP');
    await runtime.applies(1);
    const waiting = lifecycle.reload('SIGHUP');
    void lifecycle.stop('SIGTERM');
    expect((await waiting).reason).toBe('shutting down');
    runtime.finishApply();
    runtime.draining.resolve(true);
    await lifecycle.stopped;
    expect(runtime.applied).toEqual(['first']);
  });

  it('rejects start when the runtime cannot start, says why, and hands the signals back', async () => {
    const { runtime, proc, watch, lifecycle, logger } = setup();
    runtime.starting.reject(new Error('address already in use'));
    await expect(lifecycle.start(config('initial'))).rejects.toThrow('address already in use');
    expect(logger.entries).toEqual([{ level: 'error', message: 'cannot start', fields: { error: 'address already in use' } }]);
    expect(proc.listening('SIGTERM')).toBe(0);
    expect(proc.listening('SIGHUP')).toBe(0);
    expect(watch.closed).toBe(true);
  });
});
