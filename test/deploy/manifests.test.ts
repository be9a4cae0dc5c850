// deploy/kubernetes/ without a cluster: every object is valid for the Kubernetes API (strictly: no unknown
// field), the objects of each set refer to one another correctly, the pod runs locked down, and the drain and
// worker settings of the embedded gateway config agree with the Deployment (issue 12).
import t from 'tap';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  cpuCores, durationMs, gatewayConfigValues, kubernetesSets, objectsOfKind,
  type KubeDocument, type KubeObject, type KubeSet,
} from './deploy-files.js';
import { kindKey, schemaProblems, strictTypeProblems } from './kube-schemas.js';

const sets = kubernetesSets();
const TEST_DIR = new URL('.', import.meta.url).pathname;

// The parts of the API objects these checks read; the schema tests above prove the objects have this shape.
interface Probe { httpGet?: { path: string; port: string | number } }
interface Container {
  name: string;
  ports?: { name?: string; containerPort: number }[];
  env?: { name: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } } }[];
  envFrom?: { secretRef?: { name: string }; configMapRef?: { name: string } }[];
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { allowPrivilegeEscalation?: boolean; readOnlyRootFilesystem?: boolean; runAsNonRoot?: boolean; capabilities?: { drop?: string[] }; seccompProfile?: { type: string } };
  startupProbe?: Probe; livenessProbe?: Probe; readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}
interface Volume {
  name: string;
  configMap?: { name: string; items?: { key: string }[] };
  secret?: { secretName: string };
  persistentVolumeClaim?: { claimName: string };
  emptyDir?: object;
}
interface PodSpec {
  containers: Container[];
  volumes?: Volume[];
  terminationGracePeriodSeconds?: number;
  automountServiceAccountToken?: boolean;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
  topologySpreadConstraints?: { labelSelector?: { matchLabels?: Record<string, string> } }[];
}
interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels?: Record<string, string> };
  strategy?: { type?: string };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
}

const specOf = <T>(object: KubeObject): T => object['spec'] as T;
const matches = (selector: Record<string, string> | undefined, labels: Record<string, string>): boolean =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => labels[key] === value);

/** The set's one Deployment and the gateway config its ConfigMap volume mounts. */
function gatewayOf(set: KubeSet): { deployment: KubeObject; spec: DeploymentSpec; server: Record<string, unknown>; store: Record<string, unknown> } {
  const [deployment, ...others] = objectsOfKind(set, 'Deployment');
  if (deployment === undefined || others.length > 0) throw new Error(`${set.name}: expected exactly one Deployment`);
  const spec = specOf<DeploymentSpec>(deployment);
  const configVolume = spec.template.spec.volumes?.find((volume) => volume.configMap !== undefined);
  const configMap = objectsOfKind(set, 'ConfigMap').find((object) => object.metadata.name === configVolume?.configMap?.name);
  const text = (configMap?.['data'] as Record<string, string> | undefined)?.['gateway.config.yaml'];
  if (text === undefined) throw new Error(`${set.name}: the Deployment mounts no ConfigMap with gateway.config.yaml`);
  const config = gatewayConfigValues({ where: set.name, text });
  return { deployment, spec, server: (config['server'] ?? {}) as Record<string, unknown>, store: (config['store'] ?? {}) as Record<string, unknown> };
}

t.test('deploy/kubernetes/ has a Redis set for a fleet and an embedded-store set for one instance', async (t) => {
  t.same(sets.map((set) => set.name).sort(), ['embedded-store', 'redis']);
  for (const set of sets) t.ok(set.documents.length >= 5, `${set.name}: ${set.documents.length} objects`);
});

t.test('every object is valid for its kind\'s JSON schema (types, required fields, formats)', async (t) => {
  for (const doc of sets.flatMap((set) => set.documents)) t.same(schemaProblems(doc), [], `${doc.where} (${kindKey(doc.object)})`);
});

t.test('no object has a field the Kubernetes API does not know, nor a value outside its list', async (t) => {
  t.same(strictTypeProblems(sets.flatMap((set) => set.documents), TEST_DIR), []);
});

t.test('the strict pass does refuse a misspelt field, a field at the wrong level and a value outside its list', async (t) => {
  // Proves the check above can fail: copies of the Deployment, each with one mistake kubectl would refuse (the
  // compiler reports the first problem of each object, so one mistake per copy).
  const original = sets.flatMap((set) => set.documents).find((doc) => doc.object.kind === 'Deployment')!;
  type Editable = KubeObject & { spec: DeploymentSpec & Record<string, unknown> };
  const broken = (where: string, edit: (copy: Editable, container: Container & Record<string, unknown>) => void): KubeDocument => {
    const copy = structuredClone(original.object) as Editable;
    edit(copy, copy.spec.template.spec.containers[0] as Container & Record<string, unknown>);
    return { where, object: copy };
  };
  const problems = strictTypeProblems([
    broken('misspelt', (_copy, container) => { container['livenesProbe'] = container.livenessProbe; }),
    broken('wrong level', (copy) => { copy.spec['terminationGracePeriodSeconds'] = 45; }),
    broken('not in the list', (_copy, container) => { container['imagePullPolicy'] = 'Sometimes'; }),
  ], TEST_DIR);
  t.equal(problems.length, 3, problems.join('\n'));
  t.match(problems[0], /^misspelt: .*livenesProbe/);
  t.match(problems[1], /^wrong level: .*terminationGracePeriodSeconds/);
  t.match(problems[2], /^not in the list: .*Sometimes/);
  const notAnInteger = broken('not an integer', (copy) => { (copy.spec as Record<string, unknown>)['replicas'] = 'three'; });
  t.match(schemaProblems(notAnInteger), [/^not an integer: .*replicas/], 'and the JSON schema refuses a string where an integer belongs');
});

t.test('each kustomization lists every file of its folder but the Secret template, and only files that exist', async (t) => {
  for (const set of sets) {
    for (const resource of set.resources) t.ok(existsSync(join(set.dir, resource)), `${set.name}: ${resource} exists`);
    const unlisted = set.files.filter((file) => !set.resources.includes(file));
    t.same(unlisted, ['secret.example.yaml'], `${set.name}: only the template is left for the operator to create`);
  }
});

t.test('the Secret templates hold no value, so none can reach a cluster by mistake', async (t) => {
  for (const set of sets) {
    const secrets = objectsOfKind(set, 'Secret');
    t.equal(secrets.length, 1, set.name);
    for (const secret of secrets) {
      t.notOk(secret['data'], `${set.name}: no base64 data`);
      for (const [key, value] of Object.entries((secret['stringData'] ?? {}) as Record<string, string>)) t.equal(value, '', `${set.name}: ${key} is empty`);
    }
  }
});

t.test('Services, the PodDisruptionBudget, spread constraints and the autoscaler select the Deployment\'s pods', async (t) => {
  for (const set of sets) {
    const { deployment, spec } = gatewayOf(set);
    const podLabels = spec.template.metadata.labels;
    t.ok(matches(spec.selector.matchLabels, podLabels), `${set.name}: the Deployment selects its own pods`);
    const ports = new Set(spec.template.spec.containers.flatMap((c) => (c.ports ?? []).flatMap((p) => [p.name, p.containerPort])));
    for (const service of objectsOfKind(set, 'Service')) {
      const serviceSpec = specOf<{ selector?: Record<string, string>; ports: { targetPort?: string | number }[] }>(service);
      t.ok(matches(serviceSpec.selector, podLabels), `${set.name}: Service ${service.metadata.name} selects the pods`);
      for (const port of serviceSpec.ports) t.ok(ports.has(port.targetPort), `${set.name}: Service ${service.metadata.name} targets ${String(port.targetPort)}, a container port`);
    }
    for (const pdb of objectsOfKind(set, 'PodDisruptionBudget')) {
      t.ok(matches(specOf<{ selector: { matchLabels?: Record<string, string> } }>(pdb).selector.matchLabels, podLabels), `${set.name}: PDB ${pdb.metadata.name} selects the pods`);
    }
    for (const constraint of spec.template.spec.topologySpreadConstraints ?? []) {
      t.ok(matches(constraint.labelSelector?.matchLabels, podLabels), `${set.name}: a spread constraint counts these pods`);
    }
    for (const hpa of objectsOfKind(set, 'HorizontalPodAutoscaler')) {
      const target = specOf<{ scaleTargetRef: { kind: string; name: string }; minReplicas?: number }>(hpa);
      t.same(target.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name }, `${set.name}: the autoscaler scales the Deployment`);
      t.equal(spec.replicas, undefined, `${set.name}: no replicas in the Deployment, or every apply would undo the autoscaler`);
      t.ok((target.minReplicas ?? 1) >= 2, `${set.name}: the autoscaler never goes below two replicas`);
    }
  }
});

t.test('every Secret, ConfigMap and claim the pod names is in the same set, with the keys it reads', async (t) => {
  for (const set of sets) {
    const { spec } = gatewayOf(set);
    const byName = (kind: string, name: string): KubeObject | undefined => objectsOfKind(set, kind).find((o) => o.metadata.name === name);
    const keysOf = (object: KubeObject | undefined): string[] =>
      Object.keys({ ...(object?.['data'] as object | undefined), ...(object?.['stringData'] as object | undefined) });
    for (const container of spec.template.spec.containers) {
      for (const env of container.env ?? []) {
        const secretRef = env.valueFrom?.secretKeyRef;
        if (secretRef !== undefined) t.ok(keysOf(byName('Secret', secretRef.name)).includes(secretRef.key), `${set.name}: ${env.name} ← Secret ${secretRef.name}.${secretRef.key}`);
        const configRef = env.valueFrom?.configMapKeyRef;
        if (configRef !== undefined) t.ok(keysOf(byName('ConfigMap', configRef.name)).includes(configRef.key), `${set.name}: ${env.name} ← ConfigMap ${configRef.name}.${configRef.key}`);
      }
      for (const from of container.envFrom ?? []) {
        if (from.secretRef !== undefined) t.ok(byName('Secret', from.secretRef.name), `${set.name}: envFrom Secret ${from.secretRef.name}`);
        if (from.configMapRef !== undefined) t.ok(byName('ConfigMap', from.configMapRef.name), `${set.name}: envFrom ConfigMap ${from.configMapRef.name}`);
      }
      const volumes = new Set((spec.template.spec.volumes ?? []).map((volume) => volume.name));
      for (const mount of container.volumeMounts ?? []) t.ok(volumes.has(mount.name), `${set.name}: mount ${mount.mountPath} names a volume`);
    }
    for (const volume of spec.template.spec.volumes ?? []) {
      if (volume.configMap !== undefined) {
        const keys = keysOf(byName('ConfigMap', volume.configMap.name));
        t.ok(keys.length > 0, `${set.name}: volume ${volume.name} ← ConfigMap ${volume.configMap.name}`);
        for (const item of volume.configMap.items ?? []) t.ok(keys.includes(item.key), `${set.name}: ConfigMap ${volume.configMap.name} has ${item.key}`);
      }
      if (volume.secret !== undefined) t.ok(byName('Secret', volume.secret.secretName), `${set.name}: volume ${volume.name} ← Secret ${volume.secret.secretName}`);
      if (volume.persistentVolumeClaim !== undefined) t.ok(byName('PersistentVolumeClaim', volume.persistentVolumeClaim.claimName), `${set.name}: volume ${volume.name} ← claim ${volume.persistentVolumeClaim.claimName}`);
    }
  }
});

t.test('probes use the status listener by its named port: /healthz for liveness and start-up, /readyz for readiness', async (t) => {
  for (const set of sets) {
    const { spec, server } = gatewayOf(set);
    const container = spec.template.spec.containers[0]!;
    const status = server['status'] as { host?: string; port?: number } | undefined;
    t.match(status, { host: '0.0.0.0', port: Number }, `${set.name}: the config opens server.status on every interface`);
    const statusPort = container.ports?.find((port) => port.name === 'status');
    t.equal(statusPort?.containerPort, status?.port, `${set.name}: the container port named status is server.status.port`);
    t.equal(container.ports?.find((port) => port.name === 'http')?.containerPort, (server['listen'] as { port?: number }).port, `${set.name}: http is server.listen.port`);
    t.same(container.startupProbe?.httpGet, { path: '/healthz', port: 'status' }, `${set.name}: startup`);
    t.same(container.livenessProbe?.httpGet, { path: '/healthz', port: 'status' }, `${set.name}: liveness`);
    t.same(container.readinessProbe?.httpGet, { path: '/readyz', port: 'status' }, `${set.name}: readiness`);
  }
});

t.test('the admin API is reachable from no Service and no declared port: it stays on the pod\'s loopback', async (t) => {
  for (const set of sets) {
    const { spec, server } = gatewayOf(set);
    const admin = server['admin'] as { host?: string; port?: number };
    t.equal(admin.host, '127.0.0.1', `${set.name}: server.admin binds loopback`);
    const declared = spec.template.spec.containers.flatMap((c) => (c.ports ?? []).map((p) => p.containerPort));
    t.notOk(declared.includes(admin.port ?? 9901), `${set.name}: no container port for the admin API`);
    for (const service of objectsOfKind(set, 'Service')) {
      const ports = specOf<{ ports: { port: number; targetPort?: string | number }[] }>(service).ports;
      t.notOk(ports.some((port) => port.port === admin.port || port.targetPort === admin.port), `${set.name}: Service ${service.metadata.name} does not expose it`);
    }
  }
});

t.test('the pod runs as a non-root user, read-only, without capabilities or privilege escalation, under seccomp', async (t) => {
  for (const set of sets) {
    const { spec } = gatewayOf(set);
    const pod = spec.template.spec;
    t.equal(pod.securityContext?.runAsNonRoot, true, `${set.name}: pod runAsNonRoot`);
    t.ok((pod.securityContext?.runAsUser ?? 0) > 0, `${set.name}: a numeric non-root user (the image names its user, which runAsNonRoot cannot check)`);
    t.equal(pod.securityContext?.seccompProfile?.type, 'RuntimeDefault', `${set.name}: pod seccomp`);
    t.equal(pod.automountServiceAccountToken, false, `${set.name}: no API token in the pod`);
    for (const container of pod.containers) {
      t.match(container.securityContext, {
        allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, runAsNonRoot: true,
        capabilities: { drop: ['ALL'] }, seccompProfile: { type: 'RuntimeDefault' },
      }, `${set.name}: container ${container.name}`);
      t.ok(container.volumeMounts?.some((mount) => mount.mountPath === '/tmp'), `${set.name}: a writable /tmp on the read-only root`);
    }
  }
});

t.test('where the embedded store keeps its file, a volume is mounted; a set without Redis runs one replica, recreated', async (t) => {
  for (const set of sets) {
    const { spec, store } = gatewayOf(set);
    const container = spec.template.spec.containers[0]!;
    if (store['redis'] !== undefined) {
      t.notOk(objectsOfKind(set, 'PersistentVolumeClaim').length, `${set.name}: with Redis no state volume is needed`);
      continue;
    }
    t.equal(spec.replicas, 1, `${set.name}: one replica: the store's file is locked by one process`);
    t.equal(spec.strategy?.type, 'Recreate', `${set.name}: the old pod lets go of the file before the new one opens it`);
    t.equal(objectsOfKind(set, 'HorizontalPodAutoscaler').length, 0, `${set.name}: no autoscaler`);
    const path = String(store['path']);
    const stateMount = container.volumeMounts?.find((mount) => path.startsWith(`${mount.mountPath}/`));
    t.ok(stateMount, `${set.name}: store.path ${path} is on a mounted volume`);
    const volume = spec.template.spec.volumes?.find((v) => v.name === stateMount?.name);
    t.ok(volume?.persistentVolumeClaim, `${set.name}: and that volume is a PersistentVolumeClaim, so the file outlives the pod`);
  }
});

t.test('terminationGracePeriodSeconds outlasts preStop + server.drainDelay + server.drainTimeout with a margin', async (t) => {
  const MARGIN_SECONDS = 5;
  for (const set of sets) {
    const { spec, server } = gatewayOf(set);
    const preStop = Math.max(0, ...spec.template.spec.containers.map((c) => c.lifecycle?.preStop?.sleep?.seconds ?? 0));
    const drainDelay = durationMs(String(server['drainDelay'] ?? '5s')) / 1000;
    const drainTimeout = durationMs(String(server['drainTimeout'] ?? '30s')) / 1000;
    const grace = spec.template.spec.terminationGracePeriodSeconds ?? 30;
    t.ok(grace >= preStop + drainDelay + drainTimeout + MARGIN_SECONDS,
      `${set.name}: ${grace}s ≥ ${preStop}s preStop + ${drainDelay}s drainDelay + ${drainTimeout}s drainTimeout + ${MARGIN_SECONDS}s`);
  }
});

t.test('CPU requests and limits are one core per worker, and memory has a limit equal to its request', async (t) => {
  for (const set of sets) {
    const { spec, server } = gatewayOf(set);
    const workers = server['workers'];
    t.type(workers, 'number', `${set.name}: server.workers is a number in a pod (auto would count the node's cores, not the request)`);
    const resources = spec.template.spec.containers[0]!.resources;
    t.equal(cpuCores(resources?.requests?.['cpu'] ?? '0'), workers, `${set.name}: cpu request = ${String(workers)} worker(s)`);
    t.equal(cpuCores(resources?.limits?.['cpu'] ?? '0'), workers, `${set.name}: cpu limit = request (Guaranteed QoS)`);
    t.ok(resources?.requests?.['memory'], `${set.name}: memory request`);
    t.equal(resources?.limits?.['memory'], resources?.requests?.['memory'], `${set.name}: memory limit = request`);
  }
});
