import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service } from 'kubernetes-models/v1';
import { parse as parseYaml } from 'yaml';
import { DEPLOY, proxConfigErrors, readDeploy, yamlDocuments } from './support';

/**
 * deploy/kubernetes/ against the Kubernetes OpenAPI schemas, through kubernetes-models (its
 * generated JSON-schema validators of every built-in kind; ~380k downloads a week, maintained
 * with each Kubernetes release). Those schemas do not forbid unknown fields, so the fields prox
 * relies on are asserted by name below as well.
 */
const MODELS: Record<string, new (data: never) => { validate(): void }> = {
  'apps/v1 Deployment': Deployment,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'v1 ConfigMap': ConfigMap,
  'v1 Secret': Secret,
  'v1 Service': Service,
};

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  [field: string]: unknown;
}

const manifests: { file: string; manifest: Manifest }[] = readdirSync(join(DEPLOY, 'kubernetes'))
  .filter((file) => file.endsWith('.yaml'))
  .flatMap((file) => yamlDocuments(readDeploy('kubernetes', file)).map((manifest) => ({ file, manifest: manifest as Manifest })));

function only(kind: string): Manifest {
  const found = manifests.filter((m) => m.manifest.kind === kind);
  expect(found).toHaveLength(1);
  return found[0].manifest;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are checked by schema above; below they are read as plain data */
const deployment = only('Deployment') as any;
const container = deployment.spec.template.spec.containers[0];
const proxConfigText = (only('ConfigMap') as any).data['config.yaml'] as string;
const proxConfig = parseYaml(proxConfigText) as { shutdown_timeout_secs: number; admin: { listen_addr: string }; listen_addr: string };

describe('deploy/kubernetes', () => {
  it.each(manifests.map(({ file, manifest }) => [file, manifest] as const))('%s validates against the Kubernetes schema of its kind', (_file, manifest) => {
    const model = MODELS[`${manifest.apiVersion} ${manifest.kind}`];
    expect(model).toBeDefined();
    expect(() => new model(manifest as never).validate()).not.toThrow();
  });

  it('has a Deployment, Service, ConfigMap, Secret, PodDisruptionBudget and HorizontalPodAutoscaler', () => {
    expect(manifests.map((m) => m.manifest.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Secret', 'Service']);
  });

  it('the schema check bites: a wrongly typed field is refused', () => {
    const broken = { ...deployment, spec: { ...deployment.spec, replicas: 'two' } };
    expect(() => new Deployment(broken).validate()).toThrow(/replicas/);
  });

  it('probes readiness on /readyz and liveness on /healthz of the admin port the ConfigMap sets', () => {
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'admin' });
    const adminPort = Number(proxConfig.admin.listen_addr.split(':')[1]);
    const httpPort = Number(proxConfig.listen_addr.split(':')[1]);
    expect(container.ports).toEqual([
      { name: 'http', containerPort: httpPort },
      { name: 'admin', containerPort: adminPort },
    ]);
  });

  it('gives the drain time to finish: terminationGracePeriodSeconds > preStop pause + shutdown_timeout_secs', () => {
    const preStop = container.lifecycle.preStop.exec.command as string[];
    expect(preStop[0]).toBe('sleep');
    const pause = Number(preStop[1]);
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(pause + proxConfig.shutdown_timeout_secs);
  });

  it('runs non-root on a read-only root filesystem, with resource requests', () => {
    const pod = deployment.spec.template.spec;
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).not.toBe(0);
    expect(container.securityContext).toEqual(expect.objectContaining({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false }));
    expect(container.resources.requests).toEqual({ cpu: expect.any(String), memory: expect.any(String) });
  });

  it('mounts the ConfigMap as a directory (a subPath mount would never see updates) where prox reads its config', () => {
    const mount = container.volumeMounts.find((m: { name: string }) => m.name === 'config');
    expect(mount.subPath).toBeUndefined();
    expect(container.args).toEqual(['serve', '--config', `${mount.mountPath}/config.yaml`]);
    const volume = deployment.spec.template.spec.volumes.find((v: { name: string }) => v.name === 'config');
    expect(volume.configMap.name).toBe(only('ConfigMap').metadata.name);
  });

  it('takes the Redis URL from the Secret, and the ConfigMap holds a config prox accepts', () => {
    const env = container.env.find((e: { name: string }) => e.name === 'PROX_RATE_LIMIT_STORE_URL');
    expect(env.valueFrom.secretKeyRef).toEqual({ name: only('Secret').metadata.name, key: 'url' });
    expect(Object.keys((only('Secret') as any).stringData)).toEqual(['url']);
    expect(proxConfigErrors(proxConfigText, 'deploy/kubernetes/configmap.yaml')).toEqual([]);
    expect(proxConfigText).toContain('rate_limit_store:');
  });

  it('the Service, PodDisruptionBudget and autoscaler select and scale the Deployment', () => {
    const labels = deployment.spec.template.metadata.labels;
    expect((only('Service') as any).spec.selector).toEqual(labels);
    expect((only('PodDisruptionBudget') as any).spec.selector.matchLabels).toEqual(labels);
    expect((only('HorizontalPodAutoscaler') as any).spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name });
  });
});
