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
import { definedMetrics, REPO_ROOT } from './metric-names';

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

/** What the worker really serves: its config module's SERVED_QUEUES, loaded (not pattern-matched). */
async function servableQueues(): Promise<string[]> {
  const path = join(REPO_ROOT, 'services/worker/src/config.ts');
  const config = (await import(path)) as { SERVED_QUEUES?: unknown };
  const served = config.SERVED_QUEUES;
  assert.ok(
    Array.isArray(served) && served.length > 0 && served.every((q) => typeof q === 'string'),
    `${path} must export SERVED_QUEUES, a non-empty list of queue names: this test checks WORKER_QUEUES against it`,
  );
  return served as string[];
}

test('workers: one deployment per kind of queue, each with a grace period over its shutdown budget', async () => {
  const servable = await servableQueues();
  for (const queue of servable) assert.ok((QUEUE_NAMES as readonly string[]).includes(queue), `the worker serves ${queue}, a Socketworks queue`);
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

interface Trigger {
  type: string;
  metadata: Record<string, string>;
}

/** Queues whose jobs the connector adds with a BullMQ priority (they wait in `<queue>:prioritized`, not the wait list). */
function prioritizedQueues(): string[] {
  const file = 'services/connector/src/ingest/envelope-ingestor.ts';
  const source = readFileSync(join(REPO_ROOT, file), 'utf8');
  const found = [...source.matchAll(/queueName === '([a-z]+)'[^\n]*\{ priority:/g)].map((m) => m[1]!);
  assert.ok(
    found.length > 0 && /priority:/.test(source),
    `${file}: could not find which queue's jobs get a BullMQ priority (\`queueName === '<queue>' … { priority: … }\`); update prioritizedQueues() here to read it`,
  );
  return found;
}

test('every ScaledObject scales an existing worker deployment on the wait list of each queue it serves, and on socketworks_queue_waiting where jobs are prioritized', () => {
  const scaled = docs.filter((d) => d.kind === 'ScaledObject');
  assert.equal(scaled.length, 2);
  const prefix = bullPrefix(configMap.data?.QUEUE_PREFIX ?? 'socketworks');
  const prioritized = prioritizedQueues();
  assert.deepEqual(prioritized, ['sync'], 'the connector prioritizes bare-acked sync jobs');
  const metrics = definedMetrics();
  assert.ok(metrics.names.has('socketworks_queue_waiting'), 'socketworks_queue_waiting is exported');
  assert.match(metrics.where.get('socketworks_queue_waiting') ?? '', /^services\/dashboard\//, 'by the dashboard');
  // KEDA's redis trigger speaks TLS only when told: it must agree with the documented REDIS_URL.
  const redisUrls = [secretExample.stringData?.REDIS_URL ?? '', ...[...readFileSync(join(K8S, 'secret.example.yaml'), 'utf8').matchAll(/REDIS_URL=(\S+)/g)].map((m) => m[1]!)];
  assert.ok(redisUrls.length >= 2, 'the secret example shows REDIS_URL in its data and its kubectl line');
  const schemes = new Set(redisUrls.map((u) => new URL(u).protocol));
  assert.equal(schemes.size, 1, `secret.example.yaml uses one REDIS_URL scheme, not ${[...schemes].join(' and ')}`);
  const tls = schemes.has('rediss:') ? 'true' : 'false';
  let prometheusTriggers = 0;
  for (const so of scaled) {
    const target = deployment(so.spec.scaleTargetRef.name);
    assert.ok(target, `${so.metadata.name} targets an existing Deployment`);
    assert.equal(so.spec.scaleTargetRef.kind ?? 'Deployment', 'Deployment');
    assert.equal(containerOf(target).command?.[1], 'services/worker/dist/main.js', 'only workers autoscale');
    assert.ok(so.spec.minReplicaCount >= 1 && so.spec.maxReplicaCount > so.spec.minReplicaCount);
    const c = containerOf(target);
    const served = (envValue(c, 'WORKER_QUEUES') ?? '').split(',').map((e) => e.split(':')[0]!);
    const triggers = so.spec.triggers as Trigger[];
    for (const t of triggers) assert.ok(['redis', 'prometheus'].includes(t.type), `${so.metadata.name}: trigger type ${t.type}`);
    const lists = triggers
      .filter((t) => t.type === 'redis')
      .map((t) => {
        assert.ok(Number(t.metadata.listLength) > 0);
        assert.equal(t.metadata.enableTLS, tls, `${so.metadata.name} ${t.metadata.listName}: enableTLS "${tls}" as REDIS_URL is ${[...schemes][0]}`);
        // KEDA reads these from the target's container environment.
        for (const key of ['addressFromEnv', 'passwordFromEnv']) {
          const variable = t.metadata[key]!;
          assert.ok(c.env?.some((e) => e.name === variable) || configMap.data?.[variable] !== undefined, `${so.metadata.name}: ${variable} is in the target's environment`);
        }
        return t.metadata.listName;
      });
    assert.deepEqual(lists.sort(), served.map((q) => `${prefix}:${q}:wait`).sort(), `${so.metadata.name} watches the wait list of every queue it serves`);
    // A list trigger cannot see a prioritized backlog: those queues are scaled on the gauge too.
    const gauged = triggers
      .filter((t) => t.type === 'prometheus')
      .map((t) => {
        prometheusTriggers += 1;
        const query = /^max\(socketworks_queue_waiting\{queue="([a-z]+)"\}\)$/.exec(t.metadata.query ?? '');
        assert.ok(query, `${so.metadata.name}: query ${t.metadata.query} is max(socketworks_queue_waiting{queue="…"}) (max: dashboard replicas repeat the series)`);
        assert.ok(Number(t.metadata.threshold) > 0, `${so.metadata.name}: a threshold`);
        assert.equal(t.metadata.ignoreNullValues, 'true', 'an absent series (dashboard down) reads 0 and leaves the list triggers in charge');
        assert.ok(URL.canParse(t.metadata.serverAddress ?? '') && /^https?:$/.test(new URL(t.metadata.serverAddress!).protocol), `${so.metadata.name}: serverAddress is an http(s) URL`);
        return query[1]!;
      });
    assert.deepEqual(gauged.sort(), served.filter((q) => prioritized.includes(q)).sort(), `${so.metadata.name}: a prometheus trigger for each prioritized queue it serves`);
  }
  assert.equal(prometheusTriggers, 1, 'the sync queue is gauged once');
  const interactive = readFileSync(join(K8S, 'worker-interactive.yaml'), 'utf8');
  assert.match(interactive, /PLACEHOLDER: the Prometheus that scrapes the dashboard/, 'the serverAddress is marked as a placeholder to set');
});

test('dashboard: its credentials are optional Secret keys (the pair or the token is enough); REDIS_URL is not', async () => {
  const c = containerOf(deployment('socketworks-dashboard'));
  const ref = (name: string) => c.env?.find((e) => e.name === name)?.valueFrom?.secretKeyRef;
  for (const name of ['DASHBOARD_USER', 'DASHBOARD_PASSWORD', 'DASHBOARD_TOKEN']) {
    assert.equal(ref(name)?.key, name, `${name} from the Secret`);
    assert.equal(ref(name)?.optional, true, `${name} is optional: a Secret with only the other kind of credentials must start the pod`);
  }
  assert.notEqual(ref('REDIS_URL')?.optional, true, 'REDIS_URL is required');
  // The config really accepts either kind alone (and refuses neither).
  const { loadDashboardConfig } = (await import(join(REPO_ROOT, 'services/dashboard/src/config.ts'))) as {
    loadDashboardConfig(env: Record<string, string>): { auth: { basic?: unknown; bearerToken?: string } };
  };
  const base = { REDIS_URL: 'redis://127.0.0.1:6379', DASHBOARD_PORT: envValue(c, 'DASHBOARD_PORT') ?? '3030' };
  assert.ok(loadDashboardConfig({ ...base, DASHBOARD_USER: 'ops', DASHBOARD_PASSWORD: 'a-long-passphrase' }).auth.basic, 'the pair alone');
  assert.ok(loadDashboardConfig({ ...base, DASHBOARD_TOKEN: 'a-token-of-24-characters' }).auth.bearerToken, 'the token alone');
  assert.throws(() => loadDashboardConfig(base), /DASHBOARD_USER/, 'neither: the pod exits naming the variables');
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
