// Imports an OpenAPI document (an object, or a fixture file) and loads the routes with the real loader, one upstream.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type LoadedConfig } from '../../src/config/load.js';
import { readApiDocument } from '../../src/openapi/api-document.js';
import { importRoutes, type ImportOptions, type ImportResult } from '../../src/openapi/import-routes.js';
import { routeMapYaml } from '../../src/openapi/route-map-yaml.js';
import { normalizeTarget } from '../../src/routing/normalize-path.js';
import { root } from '../helpers/spawn-cli.js';

export function fixtureText(name: string): string {
  return readFileSync(join(root, 'test/fixtures/openapi', name), 'utf8');
}

export interface ImportedMap {
  readonly result: ImportResult;
  readonly yaml: string;
  readonly loaded: LoadedConfig;
  /** The route and codes a request gets, or the error code it is refused with. */
  decide(method: string, path: string): { pattern: string; codes: readonly string[]; public: boolean } | string;
}

export function importedMap(spec: string | object, options: Partial<ImportOptions> = {}): ImportedMap {
  const text = typeof spec === 'string' ? spec : JSON.stringify(spec);
  const result = importRoutes(readApiDocument(text), { upstream: 'svc', ...options });
  const yaml = routeMapYaml(result.routes, []);
  const loaded = parseConfig(`store: { path: memory }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\n${yaml}`, 'imported.yaml', {});
  return {
    result,
    yaml,
    loaded,
    decide(method, path) {
      try {
        const match = loaded.routes.match(method, normalizeTarget(path, { caseInsensitive: false }));
        return { pattern: match.route.pattern, codes: match.permissions, public: match.route.config.auth === 'none' };
      } catch (err) {
        return (err as { code: string }).code;
      }
    },
  };
}

/** A minimal OpenAPI 3 document from `paths`, with optional top-level fields. */
export function openapi3(paths: Record<string, unknown>, top: Record<string, unknown> = {}): object {
  return { openapi: '3.0.3', info: { title: 't', version: '1' }, paths, ...top };
}
