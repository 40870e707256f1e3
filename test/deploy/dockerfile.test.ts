import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { DockerfileParser, Instruction } from 'dockerfile-ast';
import { DEPLOY, ROOT, proxConfigErrors, readDeploy } from './support';

/**
 * deploy/Dockerfile cannot be built here (no registry, no docker): it is parsed with
 * dockerfile-ast (the parser of the Dockerfile language server) and its properties asserted;
 * its RUN scripts run on a clean copy in test/integration/deploy-image.test.ts.
 */
const dockerfile = DockerfileParser.parse(readDeploy('Dockerfile'));
const instructions = dockerfile.getInstructions();

function keyword(instruction: Instruction): string {
  return instruction.getKeyword().toUpperCase();
}

/** The words after the keyword, flags (--from=...) included. */
function argumentsOf(instruction: Instruction): string[] {
  const flags = 'getFlags' in instruction ? (instruction as unknown as { getFlags(): { toString(): string }[] }).getFlags().map((flag) => flag.toString()) : [];
  return [...flags, ...instruction.getArguments().map((argument) => argument.getValue())];
}

/** Instructions of each stage, by stage name. */
function stages(): Map<string, Instruction[]> {
  const out = new Map<string, Instruction[]>();
  let current: Instruction[] | null = null;
  for (const instruction of instructions) {
    if (keyword(instruction) === 'FROM') {
      const args = argumentsOf(instruction);
      const asIndex = args.findIndex((arg) => arg.toUpperCase() === 'AS');
      current = [instruction];
      out.set(asIndex >= 0 ? args[asIndex + 1] : String(out.size), current);
    } else current?.push(instruction);
  }
  return out;
}

describe('deploy/Dockerfile', () => {
  it('parses without problems', () => {
    expect(instructions.length).toBeGreaterThan(5);
    expect(dockerfile.getComments().length).toBeGreaterThan(0);
  });

  it('is multi-stage: a build stage, then a runtime stage that copies only dist/, production node_modules and package.json from it', () => {
    const all = stages();
    expect([...all.keys()]).toEqual(['build', 'runtime']);
    const copiesFromBuild = all
      .get('runtime')!
      .filter((i) => keyword(i) === 'COPY' && argumentsOf(i).includes('--from=build'))
      .map((i) => argumentsOf(i)[1]);
    expect(copiesFromBuild.length).toBe(4);
    expect(copiesFromBuild.sort()).toEqual(['/src/deploy/docker/healthcheck.mjs', '/src/dist/', '/src/node_modules/', '/src/package.json'].sort());
    // Nothing of src/ or the tests in the runtime stage.
    const plainCopies = all.get('runtime')!.filter((i) => keyword(i) === 'COPY' && !argumentsOf(i).some((a) => a.startsWith('--from')));
    expect(plainCopies.map((i) => argumentsOf(i)[0]).sort()).toEqual(['config.schema.json', 'deploy/docker/config.yaml', 'static/']);
  });

  it('runs on Node 20, the Node the µWebSockets binary exists for', () => {
    const arg = instructions.find((i) => keyword(i) === 'ARG')!;
    expect(argumentsOf(arg)[0]).toMatch(/^NODE_IMAGE=node:20-/);
    const froms = instructions.filter((i) => keyword(i) === 'FROM').map((i) => argumentsOf(i)[0]);
    expect(froms).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}']);
  });

  it('every RUN is an executable script of deploy/docker/ (so CI can run it without docker)', () => {
    const runs = instructions.filter((i) => keyword(i) === 'RUN').map((i) => argumentsOf(i));
    expect(runs).toEqual([['deploy/docker/build.sh']]);
    for (const [script] of runs) accessSync(join(ROOT, script), constants.X_OK);
  });

  it('runs as a non-root user, with a HEALTHCHECK on the admin /healthz and prox serve as the command', () => {
    const runtime = stages().get('runtime')!;
    const user = runtime.filter((i) => keyword(i) === 'USER').map((i) => argumentsOf(i)[0]);
    expect(user).toHaveLength(1);
    expect(['root', '0']).not.toContain(user[0]);
    const healthcheck = runtime.find((i) => keyword(i) === 'HEALTHCHECK')!;
    expect(healthcheck.getTextContent()).toContain('CMD ["node", "deploy/docker/healthcheck.mjs"]');
    expect(readDeploy('docker', 'healthcheck.mjs')).toContain("'http://127.0.0.1:9901/healthz'");
    expect(runtime.find((i) => keyword(i) === 'ENTRYPOINT')!.getTextContent()).toContain('["node", "dist/cli/main.js"]');
    expect(runtime.find((i) => keyword(i) === 'CMD')!.getTextContent()).toContain('["serve"]');
    expect(existsSync(join(DEPLOY, 'docker', 'healthcheck.mjs'))).toBe(true);
  });

  it('bakes in a config that prox accepts, with the admin listener where the HEALTHCHECK looks', () => {
    const config = readDeploy('docker', 'config.yaml');
    // Its static root exists only inside the image.
    expect(proxConfigErrors(config.replace('"/app/static"', JSON.stringify(join(ROOT, 'static'))), 'deploy/docker/config.yaml')).toEqual([]);
    expect(config).toContain('listen_addr: "0.0.0.0:9901"');
  });
});
