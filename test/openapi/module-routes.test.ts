// --modules: a tag's operations under one literal prefix become a module route `<prefix>/**` (as a legacy Spring
// controller maps `/admin/order/*`), requiring `<resource>:<action>` per method; operations with their own code or
// that are public keep exact routes, which win.
import t from 'tap';
import { lintConfig } from '../../src/lint/lint.js';
import { fixtureText, importedMap, openapi3 } from './imported-map.js';

const op = (id: string, extra: Record<string, unknown> = {}): object => ({ operationId: id, tags: ['order'], responses: {}, ...extra });

t.test('/admin/order/** covers /admin/order/getInfo and what the controller adds later; exact routes win', async (t) => {
  const map = importedMap(
    openapi3({
      '/admin/order/getInfo': { get: op('getInfo') },
      '/admin/order/list': { get: op('list') },
      '/admin/order/remove/{id}': { post: op('remove') },
      '/admin/order/export': { post: op('export', { 'x-permission': 'order:export' }) },
      '/admin/user/list': { get: { operationId: 'users', tags: ['user'], responses: {} } },
    }),
    { modules: true },
  );
  t.same(map.decide('GET', '/admin/order/getInfo'), { pattern: '/admin/order/**', codes: ['order:read'], public: false });
  t.same(map.decide('GET', '/admin/order/newThing'), { pattern: '/admin/order/**', codes: ['order:read'], public: false });
  t.same(map.decide('POST', '/admin/order/remove/3'), { pattern: '/admin/order/**', codes: ['order:create'], public: false });
  t.same(map.decide('POST', '/admin/order/export'), { pattern: '/admin/order/export', codes: ['order:export'], public: false });
  t.equal(map.decide('DELETE', '/admin/order/list'), 'PG_METHOD_NOT_ALLOWED');
  t.same(map.decide('GET', '/admin/user/list'), { pattern: '/admin/user/**', codes: ['user:read'], public: false });
  t.same(lintConfig(map.loaded).filter((f) => f.severity === 'error'), []);
});

t.test('an operation a kept route could match keeps its own route (else it would get that route\'s code, or a 405)', async (t) => {
  const map = importedMap(openapi3({ '/shop/order/{id}': { get: op('get', { security: [] }), delete: op('del') }, '/shop/order/list': { get: op('list') } }), { modules: true });
  t.same(map.decide('GET', '/shop/order/list'), { pattern: '/shop/order/list', codes: ['order:list'], public: false }, 'not the public /shop/order/:id');
  t.same(map.result.routes.filter((r) => r.path.endsWith('/**')), []);
  t.same(map.decide('DELETE', '/shop/order/7'), { pattern: '/shop/order/:id', codes: ['order:del'], public: false });
  t.same(map.decide('GET', '/shop/order/7'), { pattern: '/shop/order/:id', codes: [], public: true });
});

t.test('no module at the prefix itself, nor for two tags claiming one prefix', async (t) => {
  const tagged = (id: string, tag: string): object => ({ get: { operationId: id, tags: [tag], responses: {} } });
  const map = importedMap(
    openapi3({ '/a': { get: op('a') }, '/b': { get: op('b') }, '/x/y/1': tagged('p1', 'p'), '/x/y/2': tagged('p2', 'p'), '/x/y/3': tagged('q3', 'q'), '/x/y/4': tagged('q4', 'q') }),
    { modules: true },
  );
  t.same(map.decide('GET', '/a'), { pattern: '/a', codes: ['order:a'], public: false });
  t.equal(map.decide('GET', '/c'), 'PG_ROUTE_NOT_FOUND');
  t.same(map.decide('GET', '/x/y/3'), { pattern: '/x/y/3', codes: ['q:q3'], public: false });
  t.equal(map.decide('GET', '/x/y/5'), 'PG_ROUTE_NOT_FOUND');
  t.same(map.result.routes.filter((r) => r.path.endsWith('/**')), []);
  t.match(map.result.warnings.join('\n'), 'module /x/y/**: claimed by p, q; none is folded');
});

t.test('petstore with --modules: one module per tag, and the map passes lint', async (t) => {
  const map = importedMap(fixtureText('petstore3-openapi.yaml'), { modules: true });
  t.same(map.result.routes.map((r) => r.path).sort(), ['/api/v3/pet/**', '/api/v3/store/**', '/api/v3/user/**']);
  t.same(map.decide('DELETE', '/api/v3/pet/9'), { pattern: '/api/v3/pet/**', codes: ['pet:delete'], public: false });
  t.same(lintConfig(map.loaded).filter((f) => f.severity === 'error'), []);
});

t.test('go-admin with --modules: tags with no letter a code can hold still group, named after the module path; never /api/v1/**', async (t) => {
  const map = importedMap(fixtureText('go-admin-swagger2.json'), { modules: true });
  t.same(map.decide('PUT', '/api/v1/dict/type/5'), { pattern: '/api/v1/dict/**', codes: ['dict:update'], public: false }, '字典类型 under /api/v1/dict');
  t.same(map.decide('PUT', '/api/v1/dict/data/5'), { pattern: '/api/v1/dict/data/:dictCode', codes: ['dict.data:update'], public: false }, '字典数据 spans /api/v1/dict-data and /api/v1/dict/data: only /api/v1 in common, so not folded');
  t.same(map.decide('GET', '/api/v1/dept/3'), { pattern: '/api/v1/dept/**', codes: ['dept:read'], public: false });
  t.notOk(map.result.routes.some((r) => r.path === '/api/v1/**' || r.path === '/api/**'));
  t.same(lintConfig(map.loaded).filter((f) => f.severity === 'error'), []);
});
