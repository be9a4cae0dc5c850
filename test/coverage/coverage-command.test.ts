// `permgate coverage` as an operator runs it against a running gateway: routes never hit, 404 templates, and with
// --openapi the operations no route serves and the routes no operation stands for.
import t from 'tap';
import { readApiDocument } from '../../src/openapi/api-document.js';
import { importRoutes } from '../../src/openapi/import-routes.js';
import { operationCoverage } from '../../src/openapi/operation-coverage.js';
import { gatewayWithUpstream } from '../helpers/gateway-under-test.js';
import { runCli } from '../helpers/spawn-cli.js';
import { fixtureText } from '../openapi/imported-map.js';

const ADMIN = 'the-coverage-cli-admin-token-of-this-test-0123456789';

t.test('text and --json from a live gateway, compared with the petstore document', async (t) => {
  const { gw } = await gatewayWithUpstream(
    t,
    (url) => `server:
  listen: { host: 127.0.0.1, port: 0 }
  admin: { host: 127.0.0.1, port: 0, token: ${ADMIN} }
store: { path: memory }
upstreams:
  svc: { url: "${url}" }
routes:
  - { path: /api/v3/pet, upstream: svc, permission: { PUT: pet:updatePet, POST: pet:addPet } }
  - { path: /api/v3/pet/:petId, upstream: svc, permission: { GET: pet:getPetById, DELETE: pet:deletePet } }
  - { path: /api/v3/legacy, upstream: svc, auth: none }
`,
  );
  await fetch(`${gw.url}/api/v3/legacy`);
  await fetch(`${gw.url}/api/v3/store/order/12`);
  const env = { PERMGATE_ADMIN_TOKEN: ADMIN };
  const text = await runCli(['coverage', '--admin', gw.adminUrl, '--openapi', 'test/fixtures/openapi/petstore3-openapi.yaml'], env);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, 'routes never hit: 4 of 5 route methods\n  POST /api/v3/pet\n  PUT /api/v3/pet\n  GET /api/v3/pet/:petId\n  DELETE /api/v3/pet/:petId\n');
  t.match(text.stdout, /answered 404 \(no route\), by path template: 1\n\s+1  GET \/api\/v3\/store\/order\/\{id\}\n/);
  t.match(text.stdout, 'operations with no route: 13\n  POST /pet/{petId} updatePetWithForm\n');
  t.match(text.stdout, 'routes with no operation in test/fixtures/openapi/petstore3-openapi.yaml: 1\n  * /api/v3/legacy');
  t.notMatch(text.stdout, 'GET /pet/findByStatus', 'findByStatus is served: /api/v3/pet/:petId takes it, as the gateway would');

  const json = await runCli(['coverage', '--admin', gw.adminUrl, '--json', '--since', new Date(Date.now() + 60_000).toISOString()], env);
  t.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout) as { report: { neverHit: unknown[]; notFound: { templates: unknown[] } } };
  t.equal(parsed.report.neverHit.length, 5, 'nothing happened after a moment in the future');
  t.same(parsed.report.notFound.templates, []);

  const wrong = await runCli(['coverage', '--admin', gw.adminUrl], { PERMGATE_ADMIN_TOKEN: 'x'.repeat(40) });
  t.equal(wrong.code, 1);
  t.match(wrong.stderr, 'permgate coverage: GET /admin/coverage answered 401');
  const missing = await runCli(['coverage', '--admin', gw.adminUrl], { PERMGATE_ADMIN_TOKEN: '' });
  t.equal(missing.code, 2);
});

t.test('an imported map covers its own document: no operation without a route, no route without an operation', async (t) => {
  for (const file of ['petstore3-openapi.yaml', 'go-admin-swagger2.json', 'harbor-swagger2.yaml', 'petclinic-springdoc.json']) {
    const doc = readApiDocument(fixtureText(file));
    for (const modules of [false, true]) {
      const { routes } = importRoutes(doc, { upstream: 'svc', modules });
      const methods = routes.map((r) => ({ pattern: r.path, methods: r.methods }));
      t.same(operationCoverage(doc, methods), { operationsWithoutRoute: [], routesWithoutOperation: [] }, `${file}${modules ? ' --modules' : ''}`);
    }
  }
});
