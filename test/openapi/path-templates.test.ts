// OpenAPI path templates as route patterns: `{id}` → `:id`, multi-parameter paths kept intact, segments that mix text
// and parameters kept exact by a grammar (never a broader route), and what cannot be routed left out with a warning.
import t from 'tap';
import { routePatternOf } from '../../src/openapi/route-pattern-of.js';
import { importedMap, openapi3 } from './imported-map.js';

const op = (operationId: string, extra: Record<string, unknown> = {}): object => ({ operationId, tags: ['files'], responses: {}, ...extra });

t.test('whole-segment parameters become :name, in order, with names the route grammar accepts and no duplicate', async (t) => {
  const p = routePatternOf('/api', '/projects/{project_name}/repositories/{repository-name}/tags/{1st}');
  t.ok(typeof p !== 'string');
  if (typeof p === 'string') return;
  t.equal(p.pattern, '/api/projects/:project_name/repositories/:repository_name/tags/:p_1st');
  t.same(p.params, ['project_name', 'repository_name', 'p_1st']);
  const twice = routePatternOf('', '/a/{id}/b/{id}');
  t.equal(typeof twice === 'string' ? twice : twice.pattern, '/a/:id/b/:id_2');
});

t.test('/a/{x}-{y} and /files/{name}.{ext}: one parameter per segment, whose grammar keeps the literal text', async (t) => {
  const map = importedMap(openapi3({ '/a/{x}-{y}': { get: op('pair') }, '/files/{name}.json': { get: op('json') } }));
  t.same(map.decide('GET', '/a/1-2'), { pattern: '/a/:x_y', codes: ['files:pair'], public: false });
  t.equal(map.decide('GET', '/a/12'), 'PG_PARAM_INVALID', 'a value without the "-" is not this operation');
  t.same(map.decide('GET', '/files/report.json'), { pattern: '/files/:name', codes: ['files:json'], public: false });
  t.equal(map.decide('GET', '/files/report.xml'), 'PG_PARAM_INVALID');
  t.equal(map.decide('GET', '/files/.json'), 'PG_PARAM_INVALID', 'a parameter takes at least one character');
  t.match(map.result.warnings.join('\n'), 'segment "{x}-{y}" mixes text and parameters');
});

t.test('a public operation on a mixed segment stays exactly as narrow; public and protected methods of one path are two routes', async (t) => {
  const map = importedMap(
    openapi3({
      '/files/{name}.json': { get: op('download', { security: [] }) },
      '/files/{id}': { delete: op('remove') },
    }),
  );
  t.same(map.decide('GET', '/files/a.json'), { pattern: '/files/:name', codes: [], public: true });
  t.equal(map.decide('GET', '/files/secret.bin'), 'PG_PARAM_INVALID', 'the public route does not reach beyond *.json');
  t.same(map.decide('DELETE', '/files/secret.bin'), { pattern: '/files/:name', codes: ['files:remove'], public: false });
});

t.test('two public operations of one shape that take different values: one stays public, the other needs a code', async (t) => {
  const map = importedMap(openapi3({ '/f/{a}.json': { get: op('json', { security: [] }) }, '/f/{b}.xml': { post: op('xml', { security: [] }) } }));
  t.same(map.decide('GET', '/f/x.json'), { pattern: '/f/:a', codes: [], public: true });
  t.same(map.decide('POST', '/f/x.xml'), { pattern: '/f/:a', codes: ['files:xml'], public: false });
  t.equal(map.decide('GET', '/f/x.xml'), 'PG_PARAM_INVALID');
  t.match(map.result.warnings.join('\n'), 'POST /f/{b}.xml xml: security: [] but another public operation on this path takes other values');
});

t.test('a segment no request can carry, or a wildcard inside a segment, is left out (so refused) with a warning', async (t) => {
  const map = importedMap(openapi3({ '/a/x*y': { get: op('glob') }, '/a/b': { get: op('fine') }, '/a/..': { get: op('bad') } }));
  t.equal(map.result.routes.length, 1);
  t.equal(map.decide('GET', '/a/xzy'), 'PG_ROUTE_NOT_FOUND');
  t.match(map.result.warnings.join('\n'), 'GET /a/x*y glob: left out (refused by the gateway)');
  t.match(map.result.warnings.join('\n'), 'GET /a/.. bad: left out');
});

t.test('non-ASCII literal segments are routed in their canonical, percent-encoded form', async (t) => {
  const map = importedMap(openapi3({ '/café/{id}': { get: op('menu') } }));
  t.same(map.decide('GET', '/caf%C3%A9/1'), { pattern: '/caf%C3%A9/:id', codes: ['files:menu'], public: false });
});
