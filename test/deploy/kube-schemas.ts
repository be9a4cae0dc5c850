// Kubernetes objects checked against the API's own schemas, offline, in two passes that both come from
// kubernetes-models (generated from the Kubernetes OpenAPI spec, v1.3x):
// 1. its ajv-compiled JSON-schema validators: types, required fields, int32 and other formats;
// 2. its TypeScript interfaces, through the TypeScript compiler: every object becomes a typed literal, so an unknown
//    field anywhere (`livenesProbe`, a key one level too deep) is an excess-property error, and an enum value
//    outside the API's list (`imagePullPolicy: Sometimes`) a type error. The validators alone accept unknown fields
//    (the API server would drop them silently, kubectl refuses them), hence the second pass.
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { ConfigMap, PersistentVolumeClaim, Secret, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { KubeDocument, KubeObject } from './deploy-files.js';

interface KindSchema {
  /** Validates with the compiled JSON schema; throws a ValidationError listing every problem. */
  readonly validate: (object: KubeObject) => void;
  /** The module and interface that type the object strictly. */
  readonly typeModule: string;
  readonly typeName: string;
}

// The model constructors take the data typed; the objects here are unchecked YAML, which is the point.
const validating = <T>(Model: new (data: never) => { validate(): void }) =>
  (object: KubeObject): void => new Model(object as never).validate();

/** The kinds deploy/ may use, by `apiVersion/kind`; any other is a failure, so a new kind is added here on purpose. */
export const KIND_SCHEMAS: ReadonlyMap<string, KindSchema> = new Map([
  ['v1/ConfigMap', { validate: validating(ConfigMap), typeModule: 'kubernetes-models/v1/ConfigMap', typeName: 'IConfigMap' }],
  ['v1/Secret', { validate: validating(Secret), typeModule: 'kubernetes-models/v1/Secret', typeName: 'ISecret' }],
  ['v1/Service', { validate: validating(Service), typeModule: 'kubernetes-models/v1/Service', typeName: 'IService' }],
  ['v1/PersistentVolumeClaim', { validate: validating(PersistentVolumeClaim), typeModule: 'kubernetes-models/v1/PersistentVolumeClaim', typeName: 'IPersistentVolumeClaim' }],
  ['apps/v1/Deployment', { validate: validating(Deployment), typeModule: 'kubernetes-models/apps/v1/Deployment', typeName: 'IDeployment' }],
  ['autoscaling/v2/HorizontalPodAutoscaler', { validate: validating(HorizontalPodAutoscaler), typeModule: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler', typeName: 'IHorizontalPodAutoscaler' }],
  ['policy/v1/PodDisruptionBudget', { validate: validating(PodDisruptionBudget), typeModule: 'kubernetes-models/policy/v1/PodDisruptionBudget', typeName: 'IPodDisruptionBudget' }],
]);

export const kindKey = (object: KubeObject): string => `${object.apiVersion}/${object.kind}`;

/** Problems the compiled JSON schema finds in one object, as `where: data/path message` lines. */
export function schemaProblems(doc: KubeDocument): string[] {
  const schema = KIND_SCHEMAS.get(kindKey(doc.object));
  if (schema === undefined) return [`${doc.where}: no schema for ${kindKey(doc.object)} (add it to KIND_SCHEMAS)`];
  try {
    schema.validate(doc.object);
    return [];
  } catch (err) {
    return [`${doc.where}: ${(err as Error).message}`];
  }
}

/**
 * Problems the strict pass finds: unknown fields and out-of-list values, one line per diagnostic, naming the
 * document. All documents are compiled in one program (one compiler start, a few seconds).
 */
export function strictTypeProblems(docs: readonly KubeDocument[], baseDir: string): string[] {
  const known = docs.filter((doc) => KIND_SCHEMAS.has(kindKey(doc.object)));
  const lines: string[] = [];
  const owners: string[] = []; // the document each generated line belongs to
  const emit = (line: string, owner: string): void => {
    lines.push(line);
    owners.push(owner);
  };
  const imported = new Set<string>();
  for (const doc of known) {
    const schema = KIND_SCHEMAS.get(kindKey(doc.object))!;
    if (imported.has(schema.typeName)) continue;
    imported.add(schema.typeName);
    emit(`import type { ${schema.typeName} } from '${schema.typeModule}';`, '(imports)');
  }
  known.forEach((doc, index) => {
    const schema = KIND_SCHEMAS.get(kindKey(doc.object))!;
    const literal = JSON.stringify(doc.object, null, 2).split('\n');
    emit(`export const document${index}: ${schema.typeName} = ${literal[0]}`, doc.where);
    for (const line of literal.slice(1)) emit(line, doc.where);
    emit(';', doc.where);
  });

  // A file that does not exist on disk, placed in test/deploy/ so node_modules resolves as for any test file.
  const fileName = join(baseDir, '__kubernetes-objects__.ts');
  const source = lines.join('\n');
  const options: ts.CompilerOptions = {
    strict: true, noEmit: true, skipLibCheck: true, types: [],
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022,
  };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, languageVersion, ...rest) => name === fileName
    ? ts.createSourceFile(name, source, languageVersion, true)
    : getSourceFile(name, languageVersion, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === fileName || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === fileName ? source : readFile(name));
  const program = ts.createProgram([fileName], options, host);
  const diagnostics = [...program.getSyntacticDiagnostics(), ...program.getSemanticDiagnostics()];
  return diagnostics.map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
    if (diagnostic.file?.fileName !== fileName || diagnostic.start === undefined) return `${dirname(fileName)}: ${message}`;
    const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
    return `${owners[line] ?? '?'}: ${lines[line]?.trim() ?? ''} → ${message}`;
  });
}
