import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, dirname } from 'node:path';

const SRC = join(__dirname, '..', 'src');

/** Packages that are pure data or computation, allowed in the domain. */
const PURE_PACKAGES = new Set([
  'mime-types', // file extension → media type table
]);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier a file imports or requires. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|require\(|import\()\s*'([^']+)'/g)].map((match) => match[1]!);
}

/** Where a relative import lands, as a path under src (e.g. `adapters/undici/...`). */
function landing(file: string, specifier: string): string {
  return relative(SRC, resolve(dirname(file), specifier));
}

describe('layering', () => {
  // The domain stays pure: no I/O, no packages beyond pure tables, nothing from the outer
  // layers; it may read the config model's types (what it is compiled from) and the ports.
  it.each(['core', 'ports'])('src/%s imports only itself, the ports, the config model and pure tables', (layer) => {
    const offences: string[] = [];
    for (const file of sourceFiles(join(SRC, layer))) {
      for (const specifier of importsOf(file)) {
        const target = specifier.startsWith('.') ? landing(file, specifier) : specifier;
        const allowed = target.startsWith('core/') || target.startsWith('ports/') || target === 'config/model' || PURE_PACKAGES.has(target);
        if (!allowed) offences.push(`${relative(SRC, file)} imports ${specifier}`);
      }
    }
    expect(offences).toEqual([]);
  });
});
