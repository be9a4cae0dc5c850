// `auth: none` only where the document says an operation takes no credentials (`security: []`, on the operation or
// as the global default it does not override). Saying nothing, or allowing anonymous callers as one option, is not
// "public": those routes require a code.
import t from 'tap';
import { fixtureText, importedMap, openapi3 } from './imported-map.js';

const op = (id: string, extra: Record<string, unknown> = {}): object => ({ operationId: id, tags: ['t'], responses: {}, ...extra });
const bearer = { components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } };

t.test('operation security: [] is public; a global scheme it does not override is not', async (t) => {
  const map = importedMap(openapi3({ '/login': { post: op('login', { security: [] }) }, '/me': { get: op('me') } }, { ...bearer, security: [{ bearer: [] }] }));
  t.same(map.decide('POST', '/login'), { pattern: '/login', codes: [], public: true });
  t.equal(map.decide('GET', '/login'), 'PG_METHOD_NOT_ALLOWED', 'a public route accepts only its operations\' methods');
  t.same(map.decide('GET', '/me'), { pattern: '/me', codes: ['t:me'], public: false });
});

t.test('global security: [] makes operations public unless one names a scheme', async (t) => {
  const map = importedMap(openapi3({ '/a': { get: op('a') }, '/b': { get: op('b', { security: [{ bearer: [] }] }) } }, { ...bearer, security: [] }));
  t.same(map.decide('GET', '/a'), { pattern: '/a', codes: [], public: true });
  t.same(map.decide('GET', '/b'), { pattern: '/b', codes: ['t:b'], public: false });
});

t.test('no security anywhere, or {} among the options, requires a code and says so', async (t) => {
  const map = importedMap(openapi3({ '/a': { get: op('a') }, '/b': { get: op('b', { security: [{ bearer: [] }, {}] }) } }, bearer));
  t.same(map.decide('GET', '/a'), { pattern: '/a', codes: ['t:a'], public: false });
  t.same(map.decide('GET', '/b'), { pattern: '/b', codes: ['t:b'], public: false });
  t.match(map.result.warnings.join('\n'), '1 operation(s) declare no security');
  t.match(map.result.warnings.join('\n'), '1 operation(s) allow anonymous callers as one option');
});

t.test('a public GET next to a protected HEAD of the same path is protected too (HEAD follows GET in the route table)', async (t) => {
  const map = importedMap(openapi3({ '/x': { get: op('g', { security: [] }), head: op('h') } }));
  t.same(map.decide('GET', '/x'), { pattern: '/x', codes: ['t:g'], public: false });
  t.same(map.decide('HEAD', '/x'), { pattern: '/x', codes: ['t:h'], public: false });
});

t.test('Swagger 2: petstore\'s store and user operations declare nothing and are protected; harbor\'s [{basic: []}, {}] too', async (t) => {
  const petstore = importedMap(fixtureText('petstore3-openapi.yaml'));
  t.same(petstore.decide('GET', '/api/v3/user/login'), { pattern: '/api/v3/user/login', codes: ['user:loginUser'], public: false });
  const harbor = importedMap(fixtureText('harbor-swagger2.yaml'));
  t.same(harbor.decide('GET', '/api/v2.0/health'), { pattern: '/api/v2.0/health', codes: ['health:getHealth'], public: false });
  t.match(harbor.result.warnings.join('\n'), '203 operation(s) allow anonymous callers as one option');
});
