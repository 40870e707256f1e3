// @ts-check
/**
 * The layering rules of prox, checked by dependency-cruiser on every `npm test`
 * (test/architecture/layering.test.ts) and by hand with `npm run lint:layers`.
 * docs/architecture.md ("Enforced rules") explains them in prose.
 *
 * Paths are relative to the directory the cruiser runs in (the repository root, or a fixture tree
 * under test/fixtures/layering in the tests of these rules), so every `path` starts at `src/`.
 */

/** The only npm packages the domain (core, ports) may import: pure tables and computation. */
const PURE_PACKAGES = ['mime-types'];

/** Everything a module can resolve to inside node_modules, whichever package manager laid it out. */
const NODE_MODULES = '(^|/)node_modules/';
const PURE_PACKAGE_PATHS = `${NODE_MODULES}(@types/)?(${PURE_PACKAGES.join('|')})/`;

/**
 * TEMPORARY EXCEPTIONS — delete this list (and nothing else) once the lifecycle work of issue 10,
 * part 1, has landed: it moves serve/supervisor/worker lifecycle code into src/app so that
 * src/cli stops importing adapters and the serve-command ↔ supervisor cycle disappears.
 *
 * Each entry excuses exactly one known edge (or one known cycle) from exactly one rule, so a new
 * offending import elsewhere, even in the same file, still fails. The excused violations are
 * still reported by dependency-cruiser, with severity "ignore".
 *
 * @type {import('dependency-cruiser').IBaselineViolations}
 */
const TEMPORARY_EXCEPTIONS = [
  ...[
    ['src/cli/serve-command.ts', 'src/adapters/fs/config-file-watcher.ts'],
    ['src/cli/serve-command.ts', 'src/adapters/logging/pino-logger.ts'],
    ['src/cli/workers/supervisor.ts', 'src/adapters/admin/node-admin-server.ts'],
    ['src/cli/workers/supervisor.ts', 'src/adapters/fs/config-file-watcher.ts'],
    ['src/cli/workers/supervisor.ts', 'src/adapters/hyper-express/port-in-use.ts'],
    ['src/cli/workers/supervisor.ts', 'src/adapters/http-common/reuse-port.ts'],
    ['src/cli/workers/supervisor.ts', 'src/adapters/prometheus/supervisor-metrics.ts'],
    ['src/cli/workers/worker-main.ts', 'src/adapters/ipc/ipc-admin-server.ts'],
    ['src/cli/workers/worker-main.ts', 'src/adapters/logging/pino-logger.ts'],
    ['src/cli/workers/worker-main.ts', 'src/adapters/prometheus/prometheus-metrics.ts'],
  ].map(([from, to]) => ({
    type: /** @type {const} */ ('dependency'),
    from,
    to,
    rule: { name: 'cli-not-to-adapters', severity: /** @type {const} */ ('error') },
  })),
  ...[
    ['src/cli/serve-command.ts', 'src/cli/workers/supervisor.ts'],
    ['src/cli/workers/supervisor.ts', 'src/cli/serve-command.ts'],
  ].map(([from, to]) => ({
    type: /** @type {const} */ ('cycle'),
    from,
    to,
    rule: { name: 'no-circular', severity: /** @type {const} */ ('error') },
    cycle: [
      { name: to, dependencyTypes: [] },
      { name: from, dependencyTypes: [] },
    ],
  })),
];

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    // The domain: pure core and the ports it defines. It is compiled from the model and talks to
    // the world only through ports, so it can be tested without I/O and reused by any adapter.
    {
      name: 'domain-not-to-node-builtins',
      comment: 'src/core and src/ports do no I/O: no Node built-in modules (use a port).',
      severity: 'error',
      from: { path: '^src/(core|ports)/' },
      to: { dependencyTypes: ['core'] },
    },
    {
      name: 'domain-not-to-outer-layers',
      comment:
        'src/core and src/ports import only each other: no adapters, app, cli, composition, config or demo.',
      severity: 'error',
      from: { path: '^src/(core|ports)/' },
      to: { path: '^src/', pathNot: '^src/(core|ports)/' },
    },
    {
      name: 'domain-not-to-npm',
      comment: `src/core and src/ports import no npm package except the pure ones: ${PURE_PACKAGES.join(', ')}.`,
      severity: 'error',
      from: { path: '^src/(core|ports)/' },
      to: { path: NODE_MODULES, pathNot: PURE_PACKAGE_PATHS },
    },
    {
      name: 'config-not-to-outer-layers',
      comment: 'src/config (loading and normalising) imports no adapters, app, cli, composition or demo.',
      severity: 'error',
      from: { path: '^src/config/' },
      to: { path: '^src/(adapters|app|cli|composition|demo)/' },
    },
    {
      name: 'adapters-not-to-outer-layers',
      comment: 'Adapters implement ports; they never import app, cli, composition or demo.',
      severity: 'error',
      from: { path: '^src/adapters/' },
      to: { path: '^src/(app|cli|composition|demo)/' },
    },
    {
      name: 'adapter-not-to-other-adapter',
      comment:
        'An adapter imports another adapter only through src/adapters/http-common (e.g. node-http may use http-common, not hyper-express).',
      severity: 'error',
      from: { path: '^src/adapters/([^/]+)/' },
      to: { path: '^src/adapters/', pathNot: '^src/adapters/($1|http-common)/' },
    },
    {
      name: 'cli-not-to-adapters',
      comment: 'src/cli is thin: it uses composition, app and config, never an adapter directly.',
      severity: 'error',
      from: { path: '^src/cli/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'app-not-to-adapters',
      comment: 'src/app (ProxServer and its lifecycle) works on ports; composition picks the adapters.',
      severity: 'error',
      from: { path: '^src/app/' },
      to: { path: '^src/adapters/' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles anywhere in src, type-only imports included.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every import resolves (an unresolved one would slip past the rules above).',
      severity: 'error',
      from: { path: '^src/' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: NODE_MODULES },
    // Type-only imports are dependencies too: they count for the layers and for cycles.
    tsPreCompilationDeps: true,
    // Node's own resolution: exports maps of npm packages, .ts sources in src.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
    knownViolations: TEMPORARY_EXCEPTIONS,
    reporterOptions: { text: { highlightFocused: false } },
  },
};
