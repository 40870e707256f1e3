import { join } from 'node:path';
import { cruise, describeViolation } from './cruise';

// The rules in .dependency-cruiser.cjs bite: a small tree laid out like src, with one forbidden
// import per rule, a type-only cycle and a few allowed imports, gives exactly these violations.
const FIXTURE = join(__dirname, '..', 'fixtures', 'layering', 'violations');

describe('layering rules on a tree that breaks them', () => {
  const found = cruise(FIXTURE).map(describeViolation).sort();

  it.each([
    ['a Node built-in in the core', 'domain-not-to-node-builtins: src/core/reads-files.ts → fs'],
    ['a type-only Node built-in in a port', 'domain-not-to-node-builtins: src/ports/body.ts → stream'],
    ['an adapter in the core', 'domain-not-to-outer-layers: src/core/uses-adapter.ts → src/adapters/undici/client.ts'],
    ['a framework package in the core', expect.stringMatching(/^domain-not-to-npm: src\/core\/uses-packages\.ts → .*node_modules\/pino\//)],
    ['an adapter in config', 'config-not-to-outer-layers: src/config/loader.ts → src/adapters/undici/client.ts'],
    ['the app in an adapter', 'adapters-not-to-outer-layers: src/adapters/undici/reaches-out.ts → src/app/server.ts'],
    ['an adapter in another adapter', 'adapter-not-to-other-adapter: src/adapters/node-http/server.ts → src/adapters/hyper-express/server.ts'],
    ['an adapter in the CLI', 'cli-not-to-adapters: src/cli/main.ts → src/adapters/undici/client.ts'],
    ['an adapter in a CLI file named in the temporary exceptions', 'cli-not-to-adapters: src/cli/serve-command.ts → src/adapters/hyper-express/server.ts'],
    ['an adapter in the app', 'app-not-to-adapters: src/app/server.ts → src/adapters/node-http/server.ts'],
    ['a cycle through a type-only import', 'no-circular: src/core/balancer.ts → src/core/ring.ts → src/core/balancer.ts'],
  ])('reports %s', (_what, violation) => {
    expect(found).toContainEqual(violation);
  });

  it('reports nothing else: the pure package, http-common, ports and composition stay allowed', () => {
    expect(found).toHaveLength(11);
    expect(found.join('\n')).not.toMatch(/mime-types|http-common|src\/composition\/|src\/ports\/clock/);
  });
});
