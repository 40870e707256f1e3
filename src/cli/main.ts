#!/usr/bin/env node
import { Command, Option } from 'commander';
import { PROX_VERSION } from '../version';

// Each command loads its own modules when it runs: `prox validate` in a CI step does not pay for
// loading the proxy's servers and adapters.
function buildProgram(): Command {
  const program = new Command('prox')
    .description('Edge reverse proxy and load balancer speaking the Prox YAML config')
    .version(PROX_VERSION, '-v, --version');

  program
    .command('serve', { isDefault: true })
    .description('run the proxy')
    .option('-c, --config <file>', 'config file (default: $PROX_CONFIG, else ./config.yaml)')
    .option('--no-watch', 'do not reload when the config file changes (SIGHUP still reloads)')
    .action(async (options: { config?: string; watch: boolean }) => {
      const { runServe } = await import('./serve-command');
      process.exitCode = await runServe(options, process.env);
      if (process.exitCode !== undefined) process.exit(process.exitCode);
    });

  program
    .command('validate')
    .description('check a config file; exit 0 valid, 1 invalid, 2 unreadable')
    .option('-c, --config <file>', 'config file (default: $PROX_CONFIG, else ./config.yaml)')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--strict', 'warnings (route lint included) fail validation too')
    .option('--against <old>', 'also show what changes from <old> (as prox diff); the exit code stays validation\'s')
    .action(async (options: { config?: string; format: 'text' | 'json'; strict?: boolean; against?: string }) => {
      const { runValidate } = await import('./validate-command');
      process.exitCode = await runValidate(options, {
        out: (s) => console.log(s),
        err: (s) => console.error(s),
        env: process.env,
      });
      if (options.against !== undefined && process.exitCode === 0) {
        const [{ runDiff }, { resolveConfigPath }] = await Promise.all([import('./diff-command'), import('../config/loader')]);
        await runDiff(options.against, resolveConfigPath(options.config, process.env), { format: options.format });
      }
    });

  program
    .command('diff')
    .description('what changing <old> into <new> does: routes, destinations, backends, reload vs restart; exit 0 same, 1 changes, 2 error')
    .argument('<old>', 'the config running now')
    .argument('<new>', 'the candidate config')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (oldFile: string, newFile: string, options: { format: 'text' | 'json' }) => {
      const { runDiff } = await import('./diff-command');
      process.exitCode = await runDiff(oldFile, newFile, options);
    });

  program
    .command('explain')
    .description('show what prox would do with one request; exit 0 routed, 3 no route, 2 error')
    .argument('<method>', 'request method, e.g. GET')
    .argument('<url>', 'http(s)://host/path?query, or /path?query with -H "Host: ..."')
    .option('-c, --config <file>', 'config file (default: $PROX_CONFIG, else ./config.yaml)')
    .option('-H, --header <header>', 'request header "Name: value" (repeatable)', collect, [])
    .option('--client-ip <ip>', 'address of the connecting client', '127.0.0.1')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (method: string, url: string, options: { config?: string; header: string[]; clientIp: string; format: 'text' | 'json' }) => {
      const { runExplain } = await import('./explain-command');
      process.exitCode = await runExplain(method, url, options, process.env);
    });

  program
    .command('convert')
    .description("print another proxy's config (Apex HTTP TOML, ConnX YAML) as prox YAML; exit 0 converted, 1 already prox, 2 error")
    .argument('<file>', 'the config file')
    .action(async (file: string) => {
      const { runConvert } = await import('./convert-command');
      process.exitCode = await runConvert(file);
    });

  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

void buildProgram().parseAsync(process.argv);
