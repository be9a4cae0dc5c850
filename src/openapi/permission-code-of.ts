// The permission code an operation gets when its document names none (`x-permission`): `<resource>:<action>`, the
// rule the README documents under "Import from OpenAPI". Codes are letters, digits and `. _ ~ @ -` in parts joined by
// `:` (routing/permission-template.ts), so everything else is folded.
import type { HttpMethod } from '../config/types.js';
import type { ApiOperation } from './api-document.js';

/** What a method does, for operations without an operationId and for module routes. */
export const METHOD_ACTION: Readonly<Record<HttpMethod, string>> = {
  GET: 'read',
  HEAD: 'read',
  OPTIONS: 'read',
  POST: 'create',
  PUT: 'update',
  PATCH: 'update',
  DELETE: 'delete',
};

/** Lower case, every run of other characters one `-`, no `-` at either end. */
function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** A version segment (`v1`, `v2.0`) or `api`: says nothing about the resource. */
export const NOISE_SEGMENT = /^(api|v\d+(\.\d+)*)$/i;

/**
 * The resource part: the first tag as a slug; when there is no tag or it has no letter or digit a code may hold
 * (`配置管理`), the document path's literal segments as slugs joined by `.`, leading `api` and version segments left
 * out; `root` when nothing is left.
 * @example resourceOf({ tags: ['Pet Store'], path: '/pet' }) // 'pet-store'
 * @example resourceOf({ tags: ['配置管理'], path: '/api/v1/sys-user/{id}' }) // 'sys-user'
 */
export function resourceOf(op: Pick<ApiOperation, 'tags' | 'path'>): string {
  const tag = slug(op.tags[0] ?? '');
  if (tag !== '') return tag;
  const literals = op.path.split('/').filter((s) => s !== '' && !s.includes('{') && !s.includes('*'));
  while (literals.length > 0 && NOISE_SEGMENT.test(literals[0]!)) literals.shift();
  const joined = literals.map(slug).filter((s) => s !== '').join('.');
  return joined === '' ? 'root' : joined;
}

/**
 * The action part: the operationId with every character a code cannot hold turned into `-` (case kept, so
 * `getPetById` stays readable); without one, the method's action (GET read, POST create, PUT/PATCH update, DELETE
 * delete, HEAD/OPTIONS read).
 */
export function actionOf(op: Pick<ApiOperation, 'operationId' | 'method'>): string {
  const id = (op.operationId ?? '').replace(/[^A-Za-z0-9._~@-]+/g, '-').replace(/^-+|-+$/g, '');
  return id !== '' ? id : METHOD_ACTION[op.method];
}

/** @example permissionCodeOf({ tags: ['pet'], path: '/pet/{petId}', operationId: 'getPetById', method: 'GET' }) // 'pet:getPetById' */
export function permissionCodeOf(op: Pick<ApiOperation, 'tags' | 'path' | 'operationId' | 'method'>): string {
  return `${resourceOf(op)}:${actionOf(op)}`;
}
