// `permgate import openapi` on four real-world documents (test/fixtures/openapi/README.md): every map loads, passes
// `permgate check` and has no lint error, and requests reach the route and code their operation says.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lintConfig } from '../../src/lint/lint.js';
import { runCli } from '../helpers/spawn-cli.js';
import { fixtureText, importedMap } from './imported-map.js';

const FIXTURES = [
  { file: 'petstore3-openapi.yaml', operations: 19 },
  { file: 'go-admin-swagger2.json', operations: 76 },
  { file: 'harbor-swagger2.yaml', operations: 203 },
  { file: 'petclinic-springdoc.json', operations: 40 },
];

for (const { file, operations } of FIXTURES) {
  t.test(`${file}: every operation is routed, the map loads and lint finds no error`, async (t) => {
    const map = importedMap(fixtureText(file));
    t.equal(map.result.operations, operations);
    const routed = map.result.routes.flatMap((r) => r.sources);
    t.equal(routed.length, operations, 'each operation stands behind exactly one route');
    t.same(lintConfig(map.loaded).filter((f) => f.severity === 'error'), []);
    t.ok(map.result.routes.every((r) => !r.public), 'none of the four declares security: [] on any operation, so nothing is public');
  });
}

t.test('the CLI: the printed map, put in a config, passes `permgate check` and `permgate lint`', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-import-'));
  for (const { file } of FIXTURES) {
    const run = await runCli(['import', 'openapi', join('test/fixtures/openapi', file), '--upstream', 'backend']);
    t.equal(run.code, 0, run.stderr);
    const config = join(dir, `${file}.gateway.yaml`);
    await writeFile(config, `store: { path: memory }\nupstreams:\n  backend: { url: "http://127.0.0.1:9001" }\n${run.stdout}`);
    const check = await runCli(['check', '-c', config]);
    t.equal(check.code, 0, `${file}: check ${check.stderr}`);
    const lint = await runCli(['lint', '-c', config, '--no-store']);
    t.equal(lint.code, 0, `${file}: lint\n${lint.stdout}`);
    t.match(lint.stdout, /^0 errors, \d+ warnings?$/m);
  }
  const written = join(dir, 'out.yaml');
  const run = await runCli(['import', 'openapi', 'test/fixtures/openapi/petstore3-openapi.yaml', '--upstream', 'backend', '-o', written]);
  t.equal(run.code, 0);
  t.match(run.stderr, `routes written to ${written}`);
});

t.test('Swagger 2 basePath and OpenAPI 3 server paths are the default prefix; --prefix replaces it', async (t) => {
  const harbor = importedMap(fixtureText('harbor-swagger2.yaml'));
  t.equal(harbor.result.prefix, '/api/v2.0');
  t.same(harbor.decide('GET', '/api/v2.0/projects/library/repositories/nginx/artifacts/sha256-abc/tags'), {
    pattern: '/api/v2.0/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags',
    codes: ['artifact:listTags'],
    public: false,
  });
  t.equal(harbor.decide('GET', '/api/v2.0/projects/library/repositories/nginx/artifacts/sha256-abc/tags/latest'), 'PG_METHOD_NOT_ALLOWED', 'the document has no GET there');
  t.same(harbor.decide('DELETE', '/api/v2.0/projects/library/repositories/nginx/artifacts/sha256-abc/tags/latest'), {
    pattern: '/api/v2.0/projects/:project_name/repositories/:repository_name/artifacts/:reference/tags/:tag_name',
    codes: ['artifact:deleteTag'],
    public: false,
  });
  const petclinic = importedMap(fixtureText('petclinic-springdoc.json'));
  t.equal(petclinic.result.prefix, '/petclinic', 'the path of the springdoc "Generated server url"');
  t.same(petclinic.decide('GET', '/petclinic/api/owners/7'), { pattern: '/petclinic/api/owners/:ownerId', codes: ['owner-rest-controller:getOwner'], public: false });
  const petstore = importedMap(fixtureText('petstore3-openapi.yaml'), { prefix: '/shop' });
  t.same(petstore.decide('GET', '/shop/pet/12'), { pattern: '/shop/pet/:petId', codes: ['pet:getPetById'], public: false });
  t.equal(petstore.decide('GET', '/api/v3/pet/12'), 'PG_ROUTE_NOT_FOUND');
});

t.test('go-admin: one path under two parameter names is one route, and tags with no usable letter fall back to the path', async (t) => {
  const map = importedMap(fixtureText('go-admin-swagger2.json'));
  t.same(map.decide('PUT', '/api/v1/post/3'), { pattern: '/api/v1/post/:id', codes: ['post:update'], public: false });
  t.same(map.decide('GET', '/api/v1/post/3'), { pattern: '/api/v1/post/:id', codes: ['post:read'], public: false });
  t.match(map.result.warnings.join('\n'), 'GET /api/v1/post/{postId}: shares the route /api/v1/post/:id of PUT /api/v1/post/{id}');
  t.same(map.decide('POST', '/api/v1/login'), { pattern: '/api/v1/login', codes: ['login:create'], public: false }, 'no security declared anywhere: not public');
});

t.test('petclinic: the literal * segment is a one-segment wildcard, and / is routed for all seven methods', async (t) => {
  const map = importedMap(fixtureText('petclinic-springdoc.json'));
  t.same(map.decide('GET', '/petclinic/api/owners/x/lastname/Davis'), { pattern: '/petclinic/api/owners/*/lastname/:lastName', codes: ['owner-rest-controller:getOwnersList'], public: false });
  for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) {
    const decided = map.decide(method, '/petclinic');
    t.equal(typeof decided === 'string' ? decided : decided.pattern, '/petclinic', method);
  }
});
