// `permgate diff` as an operator runs it: exit 0 with no changes, 1 with changes, 2 for a usage problem or a file that
// does not load (named by file, line and key, as `check` and `lint` do); `--json` is the same diff as data.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from '../helpers/spawn-cli.js';

const config = `store: { path: memory }
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /orders/**, upstream: svc, permission: { GET: order:read, DELETE: order:delete } }
rbac:
  roles:
    viewer: { grants: [order:read] }
  subjects:
    alice: { roles: [viewer] }
`;

t.test('the command: no changes, changes, --json, and what makes it exit 2', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'permgate-diff-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): Promise<string> => writeFile(join(dir, name), text).then(() => join(dir, name));
  const old = await file('old.yaml', config);
  const same = await file('same.yaml', config);
  const changed = await file('new.yaml', config.replace('viewer: { grants: [order:read] }', 'viewer: { grants: [order:read, order:delete] }'));
  const broken = await file('broken.yaml', config.replace('upstream: svc', 'upstream: nowhere'));

  t.test('the same config: exit 0, "no changes"', async (t) => {
    const run = await runCli(['diff', '-c', same, '--against', old]);
    t.equal(run.code, 0, run.stderr);
    t.match(run.stdout, /no changes\n$/);
  });

  t.test('a grant added: exit 1, the role and the access row in the text', async (t) => {
    const run = await runCli(['diff', '-c', changed, '--against', old]);
    t.equal(run.code, 1, run.stderr);
    t.match(run.stdout, /roles\n {2}~ role viewer\n {6}\+ grant order:delete/);
    t.match(run.stdout, /^ {2}\+ +alice +- +order:delete +gains$/m);
    t.match(run.stdout, /\n2 changes\n$/);
  });

  t.test('--json: the same diff as data', async (t) => {
    const run = await runCli(['diff', '-c', changed, '--against', old, '--json']);
    t.equal(run.code, 1, run.stderr);
    const diff = JSON.parse(run.stdout);
    t.match(diff, { before: old, after: changed, changes: 2, access: [{ holder: 'alice', kind: 'subject', on: 'order:delete', change: 'gains' }] });
  });

  t.test('neither --against nor --admin: exit 2 with what to give', async (t) => {
    const run = await runCli(['diff', '-c', changed]);
    t.equal(run.code, 2);
    t.match(run.stderr, /--against FILE .* or --admin URL/);
  });

  t.test('--admin without PERMGATE_ADMIN_TOKEN: exit 2, and the token is never taken from argv', async (t) => {
    const run = await runCli(['diff', '-c', changed, '--admin', 'http://127.0.0.1:9'], { PERMGATE_ADMIN_TOKEN: '' });
    t.equal(run.code, 2);
    t.match(run.stderr, /PERMGATE_ADMIN_TOKEN/);
  });

  t.test('a NEW or an --against file that does not load: exit 2 naming file, line and key', async (t) => {
    const bad = await runCli(['diff', '-c', broken, '--against', old]);
    t.equal(bad.code, 2);
    t.match(bad.stderr, new RegExp(`${broken.replaceAll('.', '\\.')}:5:\\d+: routes\\[0\\]\\.upstream`));
    const badOld = await runCli(['diff', '-c', old, '--against', broken]);
    t.equal(badOld.code, 2);
    t.match(badOld.stderr, /^permgate diff: invalid configuration/);
    t.match(badOld.stderr, /broken\.yaml:5:\d+: routes\[0\]\.upstream/);
    const missing = await runCli(['diff', '-c', old, '--against', join(dir, 'none.yaml')]);
    t.equal(missing.code, 2);
    t.match(missing.stderr, /none\.yaml:0:0: \(top level\): file not found/);
  });
});
