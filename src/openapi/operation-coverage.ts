// An OpenAPI document against a route map: operations no route serves (the gateway answers them 404 or 405) and
// route methods no operation stands for (a route the backend may no longer serve, or one the document forgot).
// Each operation is tried as a request would be: its path with every parameter filled, through the same trie.
import { HTTP_METHODS, type HttpMethod } from '../config/types.js';
import { normalizeTarget } from '../routing/normalize-path.js';
import { parsePattern, RouteTrie } from '../routing/route-trie.js';
import type { ApiDocument } from './api-document.js';

export interface RouteMethods {
  readonly pattern: string;
  readonly methods: readonly HttpMethod[];
}

export interface OperationCoverage {
  /** `GET /pet/{petId} getPetById` for each operation no route accepts. */
  readonly operationsWithoutRoute: readonly string[];
  /** `*`: a route that accepts every method and no operation reaches with any. */
  readonly routesWithoutOperation: readonly { readonly pattern: string; readonly method: HttpMethod | '*' }[];
}

/** The value put in every parameter: a plain one any grammar of identifiers accepts. */
const SAMPLE = '1';

/** @param prefix put before every document path, as `permgate import openapi` does (default: the document's base path) */
export function operationCoverage(doc: ApiDocument, routes: readonly RouteMethods[], prefix = doc.basePath): OperationCoverage {
  const trie = new RouteTrie<Map<HttpMethod, string>>();
  for (const { pattern, methods } of routes) {
    const byMethod = new Map(methods.map((m) => [m, pattern] as const));
    const existing = trie.insert(parsePattern(pattern), byMethod);
    if (existing !== undefined) for (const [m, p] of byMethod) existing.set(m, p);
  }
  const used = new Set<string>();
  const operationsWithoutRoute: string[] = [];
  for (const op of doc.operations) {
    const label = `${op.method} ${op.path}${op.operationId ? ` ${op.operationId}` : ''}`;
    let segments: readonly string[];
    try {
      const path = `${prefix.replace(/\/+$/, '')}/${op.path.replace(/\{[^{}]*\}/g, SAMPLE)}`.replace(/\/{2,}/g, '/');
      segments = normalizeTarget(path.split('/').map((s) => encodeURIComponent(s)).join('/'), { caseInsensitive: false }).segments;
    } catch {
      operationsWithoutRoute.push(label);
      continue;
    }
    const slot = trie.lookup(segments);
    // HEAD is accepted wherever GET is.
    const pattern = slot?.get(op.method) ?? (op.method === 'HEAD' ? slot?.get('GET') : undefined);
    if (pattern === undefined) operationsWithoutRoute.push(label);
    else used.add(`${op.method === 'HEAD' && !slot!.has('HEAD') ? 'GET' : op.method} ${pattern}`);
  }
  const routesWithoutOperation = routes.flatMap(({ pattern, methods }): { pattern: string; method: HttpMethod | '*' }[] => {
    if (HTTP_METHODS.every((m) => methods.includes(m))) return methods.some((m) => used.has(`${m} ${pattern}`)) ? [] : [{ pattern, method: '*' }];
    return methods.filter((m) => !used.has(`${m} ${pattern}`) && !(m === 'HEAD' && methods.includes('GET'))).map((method) => ({ pattern, method }));
  });
  return { operationsWithoutRoute, routesWithoutOperation };
}
