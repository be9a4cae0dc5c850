// Reads an OpenAPI 3.x or Swagger 2 document (JSON or YAML) into the few facts a route map needs: each operation's
// method, path, tags, operationId, `x-permission` and what the document says about its security.
import { parse } from 'yaml';
import { HTTP_METHODS, type HttpMethod } from '../config/types.js';

/**
 * What the document says about calling an operation without credentials:
 * - `none`: it says so (the operation's `security: []`, or a global `security: []` the operation does not override);
 * - `optional`: a security requirement list that includes `{}` (anonymous allowed, but credentials change the answer);
 * - `required`: it names a scheme;
 * - `undeclared`: it says nothing (no `security` on the operation nor at the top).
 */
export type DeclaredSecurity = 'none' | 'optional' | 'required' | 'undeclared';

export interface ApiOperation {
  readonly method: HttpMethod;
  /** The path as the document writes it, relative to the base path (`/pet/{petId}`). */
  readonly path: string;
  readonly operationId: string | undefined;
  readonly tags: readonly string[];
  /** `x-permission` as written: one code, or a list of codes all required. Undefined when absent. */
  readonly permission: unknown;
  readonly security: DeclaredSecurity;
}

export interface ApiDocument {
  readonly kind: 'openapi3' | 'swagger2';
  /** Swagger 2's `basePath`, or the path of OpenAPI 3's first server URL (variables filled with their defaults); '' for none. */
  readonly basePath: string;
  readonly operations: readonly ApiOperation[];
  /** Operations left out, and why (a method permgate does not route, such as TRACE). */
  readonly skipped: readonly string[];
}

export class ApiDocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ApiDocumentError';
  }
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses the text (JSON is YAML) and reads its operations; throws ApiDocumentError for what is not a 2.0 or 3.x document. */
export function readApiDocument(text: string): ApiDocument {
  let raw: unknown;
  try {
    // Generated documents can be large and deeply aliased; a spec is data, so no custom tags.
    raw = parse(text, { maxAliasCount: 1000 });
  } catch (err) {
    throw new ApiDocumentError(`not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!isObject(raw)) throw new ApiDocumentError('not an OpenAPI document (the top is not a mapping)');
  const kind = typeof raw.openapi === 'string' && raw.openapi.startsWith('3.') ? 'openapi3' : raw.swagger === '2.0' ? 'swagger2' : undefined;
  if (kind === undefined) throw new ApiDocumentError('neither `openapi: 3.x` nor `swagger: "2.0"` at the top');
  if (!isObject(raw.paths)) throw new ApiDocumentError('no `paths` mapping');
  const basePath = kind === 'swagger2' ? (typeof raw.basePath === 'string' ? raw.basePath : '') : serverPath(raw.servers);
  const globalSecurity = raw.security;
  const operations: ApiOperation[] = [];
  const skipped: string[] = [];
  for (const [path, item] of Object.entries(raw.paths)) {
    if (!isObject(item)) continue;
    if (typeof item.$ref === 'string') skipped.push(`${path}: a $ref path item is not followed (operations written only there are left out, so refused)`);
    for (const [key, op] of Object.entries(item)) {
      if (!isObject(op) || !OPERATION_KEYS.has(key)) continue;
      const method = key.toUpperCase() as HttpMethod;
      if (!HTTP_METHODS.includes(method)) {
        skipped.push(`${method} ${path}: permgate does not route ${method} (left out, so it is refused)`);
        continue;
      }
      operations.push({
        method,
        path,
        operationId: typeof op.operationId === 'string' && op.operationId !== '' ? op.operationId : undefined,
        tags: Array.isArray(op.tags) ? op.tags.filter((tag): tag is string => typeof tag === 'string') : [],
        permission: op['x-permission'],
        security: securityOf('security' in op ? op.security : globalSecurity),
      });
    }
  }
  return { kind, basePath: basePath === '/' ? '' : basePath.replace(/\/+$/, ''), operations, skipped };
}

const OPERATION_KEYS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);

function securityOf(requirements: unknown): DeclaredSecurity {
  if (requirements === undefined || requirements === null) return 'undeclared';
  if (!Array.isArray(requirements)) return 'required'; // malformed: never read as "no security"
  if (requirements.length === 0) return 'none';
  return requirements.some((r) => isObject(r) && Object.keys(r).length === 0) ? 'optional' : 'required';
}

/** The path part of the first server URL: absolute (`http://host/petclinic`) or relative (`/api/v3`). */
function serverPath(servers: unknown): string {
  const first: unknown = Array.isArray(servers) ? servers[0] : undefined;
  if (!isObject(first) || typeof first.url !== 'string') return '';
  const variables = isObject(first.variables) ? first.variables : {};
  const url = first.url.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const variable = variables[name];
    return isObject(variable) && typeof variable.default === 'string' ? variable.default : '';
  });
  try {
    return decodeURI(new URL(url, 'http://base.invalid').pathname);
  } catch {
    return '';
  }
}
