// `permgate import openapi` refusals: usage, a file that is not an OpenAPI document, one that cannot be read (exit 2);
// warnings go to stderr, never into the map.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/spawn-cli.js';

t.test('usage errors and documents that are not OpenAPI exit 2 with one line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-import-'));
  const notApi = join(dir, 'config.yaml');
  await writeFile(notApi, 'routes: []\n');
  const broken = join(dir, 'broken.json');
  await writeFile(broken, '{"openapi": "3.0.0", "paths": {');
  const runs = [
    [['import', 'openapi', 'test/fixtures/openapi/petstore3-openapi.yaml'], 'permgate import: usage:'],
    [['import', 'raml', 'x.raml', '--upstream', 'svc'], 'permgate import: usage:'],
    [['import', 'openapi', join(dir, 'missing.json'), '--upstream', 'svc'], 'cannot be read'],
    [['import', 'openapi', notApi, '--upstream', 'svc'], 'neither `openapi: 3.x` nor `swagger: "2.0"` at the top'],
    [['import', 'openapi', broken, '--upstream', 'svc'], 'not valid JSON or YAML'],
  ] as const;
  for (const [args, message] of runs) {
    const run = await runCli(args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.stderr, message);
    t.equal(run.stdout, '');
  }
});

t.test('warnings are on stderr; stdout is only the map, under a header naming the document', async (t) => {
  const run = await runCli(['import', 'openapi', 'test/fixtures/openapi/petclinic-springdoc.json', '--upstream', 'clinic']);
  t.equal(run.code, 0);
  t.match(run.stderr, 'permgate import: warning: 40 operation(s) declare no security');
  t.match(run.stdout, /^# Imported by `permgate import openapi` from petclinic-springdoc.json \(OpenAPI 3, 40 operations, prefix \/petclinic\)\.\n/);
  t.notMatch(run.stdout, 'warning');
  t.match(run.stdout, '  # GET /api/owners/{ownerId} getOwner\n  # PUT /api/owners/{ownerId} updateOwner\n  # DELETE /api/owners/{ownerId} deleteOwner\n  - path: /petclinic/api/owners/:ownerId\n    upstream: clinic\n    permission: { GET: owner-rest-controller:getOwner, PUT: owner-rest-controller:updateOwner, DELETE: owner-rest-controller:deleteOwner }\n');
});

t.test('a TRACE operation and a $ref path item are reported as left out', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-import-'));
  const spec = join(dir, 'spec.json');
  await writeFile(spec, JSON.stringify({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/a': { get: { operationId: 'a', responses: {} }, trace: { responses: {} } }, '/b': { $ref: 'other.yaml#/b' } } }));
  const run = await runCli(['import', 'openapi', spec, '--upstream', 'svc']);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, 'TRACE /a: permgate does not route TRACE (left out, so it is refused)');
  t.match(run.stderr, '/b: a $ref path item is not followed');
  t.match(run.stdout, '  - path: /a\n    upstream: svc\n    permission: { GET: a:a }\n');
});
