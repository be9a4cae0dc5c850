// The code of each operation: `x-permission` when the document names one (a code or a list, all required, with
// `{param}` following renamed parameters), else `<resource>:<action>` from the tag and operationId (README rule).
import t from 'tap';
import { permissionCodeOf } from '../../src/openapi/permission-code-of.js';
import { importedMap, openapi3 } from './imported-map.js';

t.test('x-permission is the code; a list requires every code; {param} names a path parameter', async (t) => {
  const map = importedMap(
    openapi3({
      '/orders/{order-id}': {
        get: { operationId: 'getOrder', tags: ['order'], 'x-permission': 'order:read:{order-id}', responses: {} },
        delete: { operationId: 'deleteOrder', tags: ['order'], 'x-permission': ['order:delete', 'audit:write'], responses: {} },
        put: { operationId: 'updateOrder', tags: ['order'], responses: {} },
      },
    }),
  );
  t.same(map.decide('GET', '/orders/42'), { pattern: '/orders/:order_id', codes: ['order:read:42'], public: false });
  t.same(map.decide('DELETE', '/orders/42'), { pattern: '/orders/:order_id', codes: ['order:delete', 'audit:write'], public: false });
  t.same(map.decide('PUT', '/orders/42'), { pattern: '/orders/:order_id', codes: ['order:updateOrder'], public: false });
  t.equal(map.decide('POST', '/orders/42'), 'PG_METHOD_NOT_ALLOWED', 'only the document\'s methods are accepted');
  t.equal(map.decide('GET', '/orders/4:2'), 'PG_PARAM_INVALID', 'a value that would widen the code is refused');
});

t.test('an x-permission the gateway cannot use leaves the operation out (refused) with a warning, never a weaker route', async (t) => {
  const map = importedMap(
    openapi3({
      '/a/{id}': { get: { operationId: 'a', 'x-permission': 'a:{nope}', responses: {} } },
      '/b': { get: { operationId: 'b', 'x-permission': 'b::read', responses: {} } },
      '/c': { get: { operationId: 'c', 'x-permission': { code: 'c' }, responses: {} } },
      '/d/{x}.json': { get: { operationId: 'd', 'x-permission': 'd:{x}', responses: {} } },
      '/e': { get: { operationId: 'e', 'x-permission': 'e:read', responses: {} } },
    }),
  );
  t.same(map.result.routes.map((r) => r.path), ['/e']);
  for (const label of ['GET /a/{id} a', 'GET /b b', 'GET /c c', 'GET /d/{x}.json d']) t.match(map.result.warnings.join('\n'), `${label}: left out`);
});

t.test('derived codes: first tag as a slug, else the path; operationId, else the method\'s action', async (t) => {
  t.equal(permissionCodeOf({ tags: ['Pet Store'], path: '/pet', operationId: 'getPetById', method: 'GET' }), 'pet-store:getPetById');
  t.equal(permissionCodeOf({ tags: ['配置管理'], path: '/api/v1/sys-user/{id}', operationId: undefined, method: 'DELETE' }), 'sys-user:delete');
  t.equal(permissionCodeOf({ tags: [], path: '/api/v2.0/projects/{p}/members', operationId: 'list members!', method: 'GET' }), 'projects.members:list-members');
  t.equal(permissionCodeOf({ tags: [], path: '/', operationId: undefined, method: 'PATCH' }), 'root:update');
  t.equal(permissionCodeOf({ tags: [], path: '/v1/x', operationId: undefined, method: 'HEAD' }), 'x:read');
});

t.test('two operations on one path and method (after parameter renaming) require every code of both', async (t) => {
  const map = importedMap(openapi3({ '/p/{a}.json': { get: { operationId: 'j', tags: ['p'], responses: {} } }, '/p/{b}.xml': { get: { operationId: 'x', tags: ['p'], responses: {} } } }));
  t.same(map.decide('GET', '/p/z.json'), { pattern: '/p/:a', codes: ['p:j', 'p:x'], public: false });
  t.same(map.decide('GET', '/p/z.xml'), { pattern: '/p/:a', codes: ['p:j', 'p:x'], public: false });
  t.equal(map.decide('GET', '/p/z.txt'), 'PG_PARAM_INVALID');
});
