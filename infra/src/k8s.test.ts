// Static checks of the Kubernetes manifests: no cluster runs here, so every fact a cluster would
// rely on is checked against the repository. Each document is validated offline against the
// Kubernetes and KEDA schemas (kubernetes-models), then the wiring between them: selectors, probes,
// ports, commands, secrets, the PDB, the ScaledObjects and the queues they watch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { QUEUE_NAMES, bullPrefix } from '@socketworks/protocol';
import { REPO_ROOT } from './metric-names';

const K8S = join(REPO_ROOT, 'infra/k8s');

type Labels = Record<string, string>;
interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  readinessProbe?: { httpGet?: { path: string; port: number | string } };
  livenessProbe?: { httpGet?: { path: string; port: number | string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] } };
}
interface Doc {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Labels };
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  spec?: any;
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  file: string;
}

const VALIDATORS: Record<string, new (data: never) => { validate(): void }> = {
  'v1/Namespace': Namespace as never,
  'v1/ConfigMap': ConfigMap as never,
  'v1/Secret': Secret as never,
  'v1/Service': Service as never,
  'apps/v1/Deployment': Deployment as never,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as never,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy as never,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as never,
};

const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml');
const docs: Doc[] = files.flatMap((file) =>
  parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
    assert.equal(d.errors.length, 0, `${file}: ${d.errors.map((e) => e.message).join('; ')}`);
    return { ...(d.toJS() as Omit<Doc, 'file'>), file };
  }),
);
const kustomization = parseAllDocuments(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as {
  namespace: string;
  resources: string[];
  images?: Array<{ name: string }>;
};
const deployments = docs.filter((d) => d.kind === 'Deployment');
const deployment = (name: string) => deployments.find((d) => d.metadata.name === name)!;
const containerOf = (d: Doc): Container => d.spec.template.spec.containers[0] as Container;
const configMap = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'socketworks-config')!;
const secretExample = docs.find((d) => d.kind === 'Secret')!;
const matches = (selector: Labels, labels: Labels | undefined) => Object.entries(selector).every(([k, v]) => labels?.[k] === v);
const envValue = (c: Container, name: string): string | undefined => c.env?.find((e) => e.name === name)?.value ?? configMap.data?.[name];

/** A service's ops port default, read from its config schema (`METRICS_PORT: env.port(9091)`). */
function defaultPort(service: string, variable: string): number {
  const source = readFileSync(join(REPO_ROOT, 'services', service, 'src/config.ts'), 'utf8');
  const match = new RegExp(`${variable}: env\\.port\\((\\d+)\\)`).exec(source);
  assert.ok(match, `services/${service}/src/config.ts declares ${variable}`);
  return Number(match[1]);
}

test('every document parses and validates against the Kubernetes / KEDA schema', () => {
  assert.ok(docs.length >= 12, `${docs.length} documents`);
  for (const doc of docs) {
    const Model = VALIDATORS[`${doc.apiVersion}/${doc.kind}`];
    assert.ok(Model, `${doc.file}: ${doc.apiVersion} ${doc.kind} is a kind this deployment is meant to use`);
    const { file: _file, ...manifest } = doc;
    assert.doesNotThrow(() => new Model(manifest as never).validate(), `${doc.file}: ${doc.kind}/${doc.metadata.name} is valid`);
    assert.equal(doc.metadata.labels?.['app.kubernetes.io/part-of'], 'socketworks', `${doc.kind}/${doc.metadata.name} labels`);
    assert.equal(doc.metadata.namespace, undefined, `${doc.kind}/${doc.metadata.name}: the namespace comes from kustomization.yaml`);
  }
  const names = docs.map((d) => `${d.kind}/${d.metadata.name}`);
  assert.equal(new Set(names).size, names.length, 'no two documents share a kind and name');
});

test('kustomization deploys every manifest but the secret example, into the socketworks namespace', () => {
  assert.equal(kustomization.namespace, 'socketworks');
  assert.ok(docs.some((d) => d.kind === 'Namespace' && d.metadata.name === kustomization.namespace));
  for (const resource of kustomization.resources) assert.ok(existsSync(join(K8S, resource)), `${resource} exists`);
  assert.deepEqual([...kustomization.resources].sort(), files.filter((f) => f !== 'secret.example.yaml').sort());
  assert.ok(!kustomization.resources.includes('secret.example.yaml'), 'placeholders are never deployed');
  assert.deepEqual(kustomization.images?.map((i) => i.name), ['socketworks']);
});

test('each deployment runs a built entry point of the image, non-root, with requests and limits', () => {
  const dockerfile = readFileSync(join(REPO_ROOT, 'infra/docker/Dockerfile'), 'utf8');
  assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), [
    'socketworks-connector',
    'socketworks-dashboard',
    'socketworks-worker-events',
    'socketworks-worker-interactive',
  ]);
  for (const d of deployments) {
    const name = d.metadata.name;
    assert.ok(matches(d.spec.selector.matchLabels, d.spec.template.metadata.labels), `${name}: the selector matches its pods`);
    const pod = d.spec.template.spec;
    assert.equal(pod.containers.length, 1, `${name}: one container`);
    const c = containerOf(d);
    assert.equal(c.image, 'socketworks', `${name}: the image kustomization rewrites`);
    assert.equal(c.command?.[0], 'node');
    assert.match(c.command?.[1] ?? '', /^services\/[a-z-]+\/dist\/main\.js$/, `${name} command`);
    assert.ok(existsSync(join(REPO_ROOT, c.command![1]!.replace('/dist/main.js', '/src/main.ts'))), `${name}: ${c.command![1]} is built from a main.ts`);
    assert.match(dockerfile, /COPY services \.\/services/, 'the image carries services/');
    assert.equal(pod.securityContext.runAsNonRoot, true, `${name} non-root`);
    assert.equal(pod.securityContext.runAsUser, 1000, `${name}: the node image's "node" user`);
    assert.equal(pod.securityContext.seccompProfile?.type, 'RuntimeDefault');
    assert.equal(pod.automountServiceAccountToken, false, `${name} needs no Kubernetes API token`);
    assert.equal(c.securityContext?.allowPrivilegeEscalation, false);
    assert.equal(c.securityContext?.readOnlyRootFilesystem, true);
    assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL']);
    for (const kind of ['requests', 'limits'] as const) {
      assert.ok(c.resources?.[kind]?.cpu && c.resources?.[kind]?.memory, `${name}: ${kind} for cpu and memory`);
    }
    for (const from of c.envFrom ?? []) if (from.configMapRef) assert.equal(from.configMapRef.name, configMap.metadata.name);
    for (const e of c.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) {
        assert.equal(ref.name, secretExample.metadata.name, `${name}: ${e.name} from the documented Secret`);
        assert.ok(ref.key in (secretExample.stringData ?? {}), `${name}: key ${ref.key} is in secret.example.yaml`);
      }
    }
    // Secrets never sit in plain values or in the ConfigMap.
    for (const e of c.env ?? []) {
      if (e.value === undefined) continue;
      assert.doesNotMatch(e.name, /TOKEN|PASSWORD|SECRET|REDIS_URL/, `${name}: ${e.name} comes from the Secret, not a plain value`);
      assert.doesNotMatch(e.value, /xox[a-z]-|xapp-/, `${name}: ${e.name} holds no token`);
    }
  }
  for (const key of Object.keys(configMap.data ?? {})) assert.doesNotMatch(key, /TOKEN|PASSWORD|SECRET|REDIS_URL/, `ConfigMap holds no secret (${key})`);
  for (const value of Object.values(secretExample.stringData ?? {})) assert.match(value, /REPLACE-ME|^ops$/, 'the secret example holds placeholders only');
});

test('probes: readiness /readyz and liveness /healthz on each service’s own port', () => {
  const expected: Record<string, number> = {
    'socketworks-connector': defaultPort('connector', 'METRICS_PORT'),
    'socketworks-worker-events': defaultPort('worker', 'METRICS_PORT'),
    'socketworks-worker-interactive': defaultPort('worker', 'METRICS_PORT'),
    'socketworks-dashboard': defaultPort('dashboard', 'DASHBOARD_PORT'),
  };
  assert.deepEqual(Object.values(expected), [9091, 9092, 9092, 3030]);
  for (const d of deployments) {
    const c = containerOf(d);
    const port = expected[d.metadata.name]!;
    const portVariable = d.metadata.name === 'socketworks-dashboard' ? 'DASHBOARD_PORT' : 'METRICS_PORT';
    assert.equal(Number(envValue(c, portVariable) ?? port), port, `${d.metadata.name}: ${portVariable} is ${port}`);
    const resolve = (p: number | string | undefined) => (typeof p === 'number' ? p : c.ports?.find((cp) => cp.name === p)?.containerPort);
    assert.equal(resolve(c.readinessProbe?.httpGet?.path === '/readyz' ? c.readinessProbe.httpGet.port : undefined), port, `${d.metadata.name} readiness`);
    assert.equal(resolve(c.livenessProbe?.httpGet?.path === '/healthz' ? c.livenessProbe.httpGet.port : undefined), port, `${d.metadata.name} liveness`);
    assert.equal(d.spec.template.metadata.annotations?.['prometheus.io/port'], String(port));
  }
});

test('connector: two replicas, a PDB of minAvailable 1 that selects only them, a grace period covering the handover', () => {
  const connector = deployment('socketworks-connector');
  assert.equal(connector.spec.replicas, 2);
  assert.equal(connector.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rollout never drops below two');
  const timeoutMs = Number(envValue(containerOf(connector), 'CONNECTOR_SHUTDOWN_TIMEOUT_MS') ?? 10000);
  assert.ok(timeoutMs >= 10000);
  assert.ok(connector.spec.template.spec.terminationGracePeriodSeconds >= timeoutMs / 1000 + 5, 'grace period ≥ shutdown budget + 5 s');
  assert.deepEqual(containerOf(connector).env?.find((e) => e.name === 'SLACK_APP_TOKEN')?.valueFrom?.secretKeyRef?.key, 'SLACK_APP_TOKEN');

  const pdbs = docs.filter((d) => d.kind === 'PodDisruptionBudget');
  assert.equal(pdbs.length, 1);
  const pdb = pdbs[0]!;
  assert.equal(pdb.spec.minAvailable, 1);
  for (const d of deployments) {
    const selected = matches(pdb.spec.selector.matchLabels, d.spec.template.metadata.labels);
    assert.equal(selected, d === connector, `the PDB ${selected ? 'selects' : 'does not select'} ${d.metadata.name}`);
  }
});

test('workers: one deployment per kind of queue, each with a grace period over its shutdown budget', () => {
  const served = readFileSync(join(REPO_ROOT, 'services/worker/src/config.ts'), 'utf8').match(/SERVED_QUEUES = \[([^\]]*)\]/)?.[1];
  const servable = served ? [...served.matchAll(/'([a-z]+)'/g)].map((m) => m[1]!) : [...QUEUE_NAMES];
  const queuesOf = (name: string) => (envValue(containerOf(deployment(name)), 'WORKER_QUEUES') ?? '').split(',').map((e) => e.split(':')[0]!);
  assert.deepEqual(queuesOf('socketworks-worker-events'), ['events']);
  assert.deepEqual(queuesOf('socketworks-worker-interactive'), ['sync', 'interactive', 'commands']);
  for (const name of ['socketworks-worker-events', 'socketworks-worker-interactive']) {
    const c = containerOf(deployment(name));
    for (const entry of (envValue(c, 'WORKER_QUEUES') ?? '').split(',')) {
      assert.match(entry, /^[a-z]+:\d+$/, `${name}: ${entry} is queue:concurrency`);
      assert.ok(servable.includes(entry.split(':')[0]!), `${name}: the worker serves ${entry.split(':')[0]} (services/worker SERVED_QUEUES)`);
    }
    const budgetMs = Number(envValue(c, 'WORKER_SHUTDOWN_TIMEOUT_MS') ?? 25000);
    assert.ok(deployment(name).spec.template.spec.terminationGracePeriodSeconds >= budgetMs / 1000 + 5, `${name} grace period`);
    assert.equal(c.env?.find((e) => e.name === 'SLACK_BOT_TOKEN')?.valueFrom?.secretKeyRef?.key, 'SLACK_BOT_TOKEN');
    assert.equal(c.env?.find((e) => e.name === 'SLACK_APP_TOKEN'), undefined, 'workers never get the app token');
  }
});

test('every ScaledObject scales an existing worker deployment on the BullMQ wait list of each queue it serves', () => {
  const scaled = docs.filter((d) => d.kind === 'ScaledObject');
  assert.equal(scaled.length, 2);
  const prefix = bullPrefix(configMap.data?.QUEUE_PREFIX ?? 'socketworks');
  for (const so of scaled) {
    const target = deployment(so.spec.scaleTargetRef.name);
    assert.ok(target, `${so.metadata.name} targets an existing Deployment`);
    assert.equal(so.spec.scaleTargetRef.kind ?? 'Deployment', 'Deployment');
    assert.equal(containerOf(target).command?.[1], 'services/worker/dist/main.js', 'only workers autoscale');
    assert.ok(so.spec.minReplicaCount >= 1 && so.spec.maxReplicaCount > so.spec.minReplicaCount);
    const c = containerOf(target);
    const served = (envValue(c, 'WORKER_QUEUES') ?? '').split(',').map((e) => e.split(':')[0]!);
    const lists = (so.spec.triggers as Array<{ type: string; metadata: Record<string, string> }>).map((t) => {
      assert.equal(t.type, 'redis');
      assert.ok(Number(t.metadata.listLength) > 0);
      // KEDA reads these from the target's container environment.
      for (const key of ['addressFromEnv', 'passwordFromEnv']) {
        const variable = t.metadata[key]!;
        assert.ok(c.env?.some((e) => e.name === variable) || configMap.data?.[variable] !== undefined, `${so.metadata.name}: ${variable} is in the target's environment`);
      }
      return t.metadata.listName;
    });
    assert.deepEqual(lists.sort(), served.map((q) => `${prefix}:${q}:wait`).sort(), `${so.metadata.name} watches the wait list of every queue it serves`);
  }
});

test('services and network policies select the pods and ports they mean', () => {
  for (const service of docs.filter((d) => d.kind === 'Service')) {
    const selected = deployments.filter((d) => matches(service.spec.selector, d.spec.template.metadata.labels));
    assert.ok(selected.length > 0, `${service.metadata.name} selects pods`);
    for (const port of service.spec.ports as Array<{ port: number; targetPort: string | number }>) {
      for (const d of selected) {
        const target = containerOf(d).ports?.find((p) => p.name === port.targetPort || p.containerPort === port.targetPort);
        assert.ok(target, `${service.metadata.name}: ${d.metadata.name} has port ${String(port.targetPort)}`);
        assert.equal(target.containerPort, port.port);
      }
    }
  }
  const dashboardService = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'socketworks-dashboard')!;
  assert.equal(dashboardService.spec.type, 'ClusterIP', 'the dashboard is internal');
  assert.ok(docs.some((d) => d.kind === 'Service' && matches(d.spec.selector, deployment('socketworks-connector').spec.template.metadata.labels)), 'connector metrics service');
  for (const name of ['socketworks-worker-events', 'socketworks-worker-interactive']) {
    assert.ok(docs.some((d) => d.kind === 'Service' && matches(d.spec.selector, deployment(name).spec.template.metadata.labels)), `${name} metrics service`);
  }
  const policy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'socketworks-dashboard')!;
  for (const d of deployments) {
    assert.equal(matches(policy.spec.podSelector.matchLabels, d.spec.template.metadata.labels), d.metadata.name === 'socketworks-dashboard');
  }
  assert.deepEqual(policy.spec.ingress[0].ports, [{ port: 3030, protocol: 'TCP' }]);
  // HTTP delivery: a Service and a policy for the connector's HTTP_PORT, and the signing secret
  // optional, so a Socket Mode deployment needs neither.
  const connector = containerOf(deployment('socketworks-connector'));
  const httpPort = Number(connector.env?.find((e) => e.name === 'HTTP_PORT')?.value);
  assert.equal(connector.ports?.find((p) => p.name === 'slack-http')?.containerPort, httpPort);
  const httpService = docs.find((d) => d.kind === 'Service' && d.metadata.name === 'socketworks-connector-http')!;
  assert.equal(httpService.spec.ports[0].targetPort, 'slack-http');
  const httpPolicy = docs.find((d) => d.kind === 'NetworkPolicy' && d.metadata.name === 'socketworks-connector-http')!;
  for (const d of deployments) {
    assert.equal(matches(httpPolicy.spec.podSelector.matchLabels, d.spec.template.metadata.labels), d.metadata.name === 'socketworks-connector');
  }
  assert.deepEqual(httpPolicy.spec.ingress[0].ports, [{ port: httpPort, protocol: 'TCP' }]);
  const signing = connector.env?.find((e) => e.name === 'SLACK_SIGNING_SECRET')?.valueFrom?.secretKeyRef;
  assert.equal(signing?.optional, true, 'the signing secret is optional');
  assert.equal(configMap.data?.SLACK_DELIVERY, 'socket', 'Socket Mode by default');
});
