// Lint reads the RBAC store (a real SQLite state file) read-only: dangling grants and unheld roles there are listed
// with the stored record; a store that cannot be opened is a warning, and the config is linted alone.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { freePort } from '../helpers/private-redis.js';
import { stateFile } from '../helpers/state-file.js';
import { runCli } from '../helpers/spawn-cli.js';

interface Report {
  findings: { rule: string; severity: string; message: string; place: { kind: string; record?: string; keyPath?: string } }[];
  errors: number;
  warnings: number;
}

async function seeded(t: Test): Promise<{ file: string; state: string }> {
  const { dir, path } = await stateFile(t);
  const store = SqliteStore.open(path);
  const rbac = store.rbacStore();
  await rbac.start(() => {});
  t.equal(await rbac.writeRole('archivist', (await rbac.loadRoles()).stamp, { name: 'archivist', grants: ['legacy:export'], denies: [], inherits: [] }), true);
  t.equal(await rbac.writeRole('orphan', (await rbac.loadRoles()).stamp, { name: 'orphan', grants: ['order:read'], denies: [], inherits: [] }), true);
  t.equal(await rbac.writeSubject('carol', '', { roles: [{ role: 'archivist' }, { role: 'clerk' }], grants: [{ code: 'invoice:void' }], denies: [] }), true);
  await store.close();
  const file = join(dir, 'gw.yaml');
  await writeFile(file, `store: { path: ${path} }
upstreams:
  svc: { url: "http://127.0.0.1:9001" }
routes:
  - { path: /orders, upstream: svc, permission: order:read }
  - { path: /refunds, upstream: svc, permission: refund:write }
rbac:
  roles:
    clerk: { grants: [order:read] }
`);
  return { file, state: path };
}

t.test('stored roles and subjects: dangling grants and unheld roles named "store: role …" / "store: subject …"', async (t) => {
  const { file } = await seeded(t);
  const run = await runCli(['lint', '-c', file, '--json']);
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as Report;
  const seen = report.findings.map((f) => `${f.rule} @ ${f.place.kind === 'store' ? 'store: ' + f.place.record : f.place.keyPath}`).sort();
  t.same(seen, [
    'code-never-granted @ routes[1].permission',
    'grant-matches-no-route @ store: role archivist',
    'grant-matches-no-route @ store: subject carol',
    'role-held-by-nobody @ store: role orphan',
  ]);
  t.match(report.findings.find((f) => f.place.record === 'subject carol')!.message, /subject carol is granted invoice:void/);
  t.match(run.stdout, /or the store/, 'code-never-granted says the store was searched too');

  const text = await runCli(['lint', '-c', file]);
  t.match(text.stdout, /^store: role archivist: warning grant-matches-no-route: role archivist is granted legacy:export/m);
});

t.test('--no-store lints the config alone: clerk is then held by nobody and the store is not read', async (t) => {
  const { file } = await seeded(t);
  const report = JSON.parse((await runCli(['lint', '-c', file, '--json', '--no-store'])).stdout) as Report;
  t.same(report.findings.map((f) => f.rule).sort(), ['code-never-granted', 'role-held-by-nobody']);
  t.ok(report.findings.every((f) => f.place.kind === 'config'));
});

t.test('a store that cannot be opened (the file is locked by a running gateway) is a warning; the config is still linted', async (t) => {
  const { file, state } = await seeded(t);
  const holder = SqliteStore.open(state);
  t.teardown(() => holder.close());
  const run = await runCli(['lint', '-c', file, '--json']);
  t.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout) as Report;
  t.match(report.findings.find((f) => f.rule === 'store-unreachable'), { severity: 'warning', place: { kind: 'store', record: state } });
  t.ok(report.findings.some((f) => f.rule === 'code-never-granted'), 'the config rules still ran');
});

t.test('a Redis store that does not answer is a warning after the wait, and the config is still linted (exit 0)', async (t) => {
  const { dir } = await stateFile(t);
  const file = join(dir, 'gw.yaml');
  const port = await freePort(); // nothing listens there
  await writeFile(file, `store: { redis: "redis://127.0.0.1:${port}" }\nupstreams:\n  svc: { url: "http://127.0.0.1:9001" }\nroutes:\n  - { path: /x, upstream: svc, permission: x:read }\n`);
  const run = await runCli(['lint', '-c', file]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /^store: redis: warning store-unreachable: the RBAC store could not be read/m);
  t.match(run.stdout, /warning code-never-granted: \/x requires x:read/);
});
