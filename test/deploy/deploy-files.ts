// What deploy/ ships, read once for the deploy tests: every Kubernetes set (one folder each) with its parsed
// documents, the compose files, and the gateway configs embedded in both.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments, parse } from 'yaml';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));
export const DEPLOY_DIR = join(REPO_DIR, 'deploy');
export const KUBERNETES_DIR = join(DEPLOY_DIR, 'kubernetes');
export const COMPOSE_DIR = join(DEPLOY_DIR, 'compose');

/** A Kubernetes object as written: only apiVersion, kind and metadata.name are assumed, the rest is checked. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface KubeDocument {
  /** `deploy/kubernetes/redis/deployment.yaml#0`: where to look when a check fails. */
  readonly where: string;
  readonly object: KubeObject;
}

export interface KubeSet {
  /** The folder's name under deploy/kubernetes/, e.g. `redis`. */
  readonly name: string;
  readonly dir: string;
  /** The YAML files of the folder, kustomization.yaml excepted. */
  readonly files: readonly string[];
  readonly documents: readonly KubeDocument[];
  /** `resources` of the folder's kustomization.yaml. */
  readonly resources: readonly string[];
}

const isYaml = (file: string): boolean => file.endsWith('.yaml') || file.endsWith('.yml');

/** Every document of a YAML file; a syntax error or a document that is not a mapping throws, naming the file. */
export function yamlDocuments(path: string): unknown[] {
  const where = relative(REPO_DIR, path);
  return parseAllDocuments(readFileSync(path, 'utf8')).map((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${where}#${index}: ${doc.errors[0]!.message}`);
    return doc.toJS() as unknown;
  }).filter((value) => value !== null);
}

function asKubeObject(value: unknown, where: string): KubeObject {
  const object = value as Partial<KubeObject> | null;
  if (typeof object !== 'object' || object === null || typeof object.apiVersion !== 'string' || typeof object.kind !== 'string'
    || typeof object.metadata?.name !== 'string') {
    throw new Error(`${where}: not a Kubernetes object (apiVersion, kind and metadata.name are required)`);
  }
  return object as KubeObject;
}

/** One set per folder of deploy/kubernetes/: each is applied on its own (`kubectl apply -k`), so each must be whole. */
export function kubernetesSets(): KubeSet[] {
  return readdirSync(KUBERNETES_DIR, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => {
    const dir = join(KUBERNETES_DIR, entry.name);
    const files = readdirSync(dir).filter((file) => isYaml(file) && file !== 'kustomization.yaml').sort();
    const documents = files.flatMap((file) => yamlDocuments(join(dir, file)).map((value, index) => {
      const where = `${relative(REPO_DIR, join(dir, file))}#${index}`;
      return { where, object: asKubeObject(value, where) };
    }));
    const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as { resources?: string[] };
    return { name: entry.name, dir, files, documents, resources: kustomization.resources ?? [] };
  });
}

export const objectsOfKind = (set: KubeSet, kind: string): KubeObject[] =>
  set.documents.map((doc) => doc.object).filter((object) => object.kind === kind);

export interface EmbeddedGatewayConfig {
  /** `deploy/kubernetes/redis/configmap.yaml: permgate-config.gateway.config.yaml`, or a compose config file. */
  readonly where: string;
  readonly text: string;
}

/** The gateway configs deploy/ ships: each ConfigMap's `gateway.config.yaml` and each compose config file. */
export function gatewayConfigsInDeploy(): EmbeddedGatewayConfig[] {
  const fromConfigMaps = kubernetesSets().flatMap((set) => set.documents
    .filter((doc) => doc.object.kind === 'ConfigMap')
    .flatMap((doc) => Object.entries((doc.object['data'] ?? {}) as Record<string, string>)
      .filter(([key]) => key === 'gateway.config.yaml')
      .map(([key, text]) => ({ where: `${doc.where} data.${key}`, text }))));
  const fromCompose = readdirSync(COMPOSE_DIR).filter((file) => /^gateway.*\.config\.yaml$/.test(file))
    .map((file) => ({ where: relative(REPO_DIR, join(COMPOSE_DIR, file)), text: readFileSync(join(COMPOSE_DIR, file), 'utf8') }));
  return [...fromConfigMaps, ...fromCompose];
}

/**
 * A gateway config's values as YAML reads them, each placeholder as `$NAME` (`${X}` inside a flow mapping is not
 * YAML until it is replaced, which is why permgate masks placeholders before parsing too).
 */
export const gatewayConfigValues = (config: EmbeddedGatewayConfig): Record<string, unknown> =>
  parse(config.text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-[^}\n]*)?\}/g, '$$$1')) as Record<string, unknown>;

/** `5s`, `250ms`, `1m` → milliseconds; the config's duration syntax, for the drain arithmetic. */
export function durationMs(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text.trim());
  if (match === null) throw new Error(`not a duration: ${text}`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

/** A CPU quantity (`1`, `1500m`, `0.5`) in cores. */
export function cpuCores(quantity: string | number): number {
  const text = String(quantity);
  return text.endsWith('m') ? Number(text.slice(0, -1)) / 1000 : Number(text);
}
