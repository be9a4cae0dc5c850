// `permgate import openapi SPEC --upstream NAME [--prefix P] [--modules] [-o FILE]`: the route map of an OpenAPI
// document, checked by the real loader and linter before it is written, so what it prints is a map `check` accepts.
import { readFile, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { ConfigError } from '../config/config-error.js';
import { parseConfig } from '../config/load.js';
import { lintConfig } from '../lint/lint.js';
import { findingLine } from '../lint/finding.js';
import { ApiDocumentError, readApiDocument } from '../openapi/api-document.js';
import { importRoutes, type ImportOptions } from '../openapi/import-routes.js';
import { routeMapYaml } from '../openapi/route-map-yaml.js';

export interface ImportCommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Loads the routes into a config of their own (one upstream, no store) and lints it: the import's self-check. */
export function checkImportedYaml(routesYaml: string, upstream: string): { problems: string[]; lintErrors: string[] } {
  const text = `store: { path: memory }\nupstreams:\n  ${JSON.stringify(upstream)}: { url: "http://127.0.0.1:9" }\n${routesYaml}`;
  try {
    const loaded = parseConfig(text, 'imported.yaml', {});
    const lintErrors = lintConfig(loaded).filter((f) => f.severity === 'error').map(findingLine);
    return { problems: [], lintErrors };
  } catch (err) {
    if (err instanceof ConfigError) return { problems: [err.message], lintErrors: [] };
    throw err;
  }
}

export async function importOpenApi(spec: string, options: ImportOptions & { readonly output?: string }): Promise<ImportCommandResult> {
  let text: string;
  try {
    text = await readFile(spec, 'utf8');
  } catch (err) {
    return { code: 2, stdout: '', stderr: `permgate import: ${spec}: cannot be read (${(err as Error).message})\n` };
  }
  let doc;
  try {
    doc = readApiDocument(text);
  } catch (err) {
    if (err instanceof ApiDocumentError) return { code: 2, stdout: '', stderr: `permgate import: ${spec}: ${err.message}\n` };
    throw err;
  }
  const result = importRoutes(doc, options);
  const kind = doc.kind === 'openapi3' ? 'OpenAPI 3' : 'Swagger 2';
  const yaml = routeMapYaml(result.routes, [
    `Imported by \`permgate import openapi\` from ${basename(spec)} (${kind}, ${result.operations} operations, prefix ${result.prefix || '(none)'}).`,
    `${result.routes.length} routes to upstream ${options.upstream}; put them under the config's \`routes:\`. Review the codes before use.`,
  ]);
  const warnings = result.warnings.map((w) => `permgate import: warning: ${w}\n`).join('');
  const { problems, lintErrors } = checkImportedYaml(yaml, options.upstream);
  if (problems.length > 0 || lintErrors.length > 0) {
    // A bug of the importer, not of the document: say so rather than print a map the gateway would refuse.
    const why = [...problems, ...lintErrors].join('\n');
    return { code: 1, stdout: '', stderr: `${warnings}permgate import: the imported map does not pass check and lint:\n${why}\n` };
  }
  if (options.output !== undefined) {
    await writeFile(options.output, yaml);
    return { code: 0, stdout: '', stderr: `${warnings}permgate import: ${result.routes.length} routes written to ${options.output}\n` };
  }
  return { code: 0, stdout: yaml, stderr: warnings };
}
