// One contract, run against every RbacStore — memory, SQLite (the embedded default) and Redis: compare-and-set
// writes that are announced once, pages of subjects that end, names that are only names; and the SQLite one keeps
// its data when the file is closed and opened again.
import t, { type Test } from 'tap';
import { isGatewayError } from '../../src/errors.js';
import type { RoleDefinition, SubjectRecord } from '../../src/rbac/model.js';
import type { RbacChange, RbacStore } from '../../src/rbac/rbac-store.js';
import { SqliteRbacStore } from '../../src/stores/sqlite/sqlite-rbac-store.js';
import { SqliteStore } from '../../src/stores/sqlite/sqlite-store.js';
import { stateFile } from '../helpers/state-file.js';
import { forEachStoreFamily } from '../helpers/store-families.js';

const viewer = (name = 'viewer'): RoleDefinition => ({ name, grants: ['order:read'], denies: [], inherits: [] });
const bound = (role: string): SubjectRecord => ({ roles: [{ role }], grants: [], denies: [] }) as unknown as SubjectRecord;

async function until(check: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function contract(t: Test, store: RbacStore): Promise<void> {
  const changes: RbacChange[] = [];
  await store.start((change) => changes.push(change));
  t.teardown(() => store.close());
  await until(() => store.isCurrent());
  const announced = (): RbacChange[] => changes.filter((c) => c.kind !== 'resync');

  const empty = await store.loadSubject('constructor');
  t.same(empty, { value: undefined, stamp: '' }, 'a subject without a record, even "constructor"');
  t.equal(await store.writeSubject('constructor', '', bound('viewer')), true, 'created against the empty stamp');
  t.equal(await store.writeSubject('constructor', '', bound('admin')), false, 'a stale stamp is a conflict');
  const written = await store.loadSubject('constructor');
  t.same(written.value, bound('viewer'), 'the conflict wrote nothing');
  t.equal(await store.writeSubject('constructor', written.stamp, bound('editor')), true);
  await until(() => announced().length === 2);
  t.match(announced(), [{ kind: 'subject', name: 'constructor' }, { kind: 'subject', name: 'constructor' }], 'each write announced once');

  const roles = await store.loadRoles();
  t.equal(roles.value?.size, 0);
  t.equal(await store.writeRole('viewer', roles.stamp, viewer()), true);
  t.equal(await store.writeRole('other', roles.stamp, viewer('other')), false, 'any role write moves the roles stamp');
  const after = await store.loadRoles();
  t.same([...after.value!.keys()], ['viewer']);
  t.equal(await store.writeRole('viewer', after.stamp, undefined), true, 'deleted');
  t.equal((await store.loadRoles()).value?.size, 0);

  const names = ['李雷', '0', 'alice', 'bob', '__proto__', 'zoe'];
  for (const name of names) t.equal(await store.writeSubject(name, '', bound('viewer')), true);
  const seen = new Set<string>();
  let cursor = '0';
  let pages = 0;
  do {
    const page = await store.listSubjects(cursor, 2);
    page.subjects.forEach((name) => seen.add(name));
    cursor = page.cursor;
  } while (cursor !== '0' && ++pages < 50);
  t.same([...seen].sort(), [...names, 'constructor'].sort(), 'pages of subjects end, and hold every one (a subject named "0" too)');
  try {
    await store.listSubjects('not-a-cursor', 2);
    t.fail('a foreign cursor was accepted');
  } catch (err) {
    t.ok(isGatewayError(err) && err.code === 'PG_ADMIN_BAD_INPUT', 'a cursor it did not give out is bad input');
  }
}

forEachStoreFamily(t, (kind) => `the ${kind} RBAC store keeps the contract`, (t, store) => contract(t, store.rbacStore({ syncInterval: 100, now: Date.now })));

t.test('the SQLite RBAC store still holds its subjects and roles, and their stamps, after the file is closed and opened again', async (t) => {
  const { path } = await stateFile(t);
  const first = SqliteStore.open(path);
  const before = new SqliteRbacStore(first);
  await before.writeSubject('carol', '', bound('viewer'));
  await before.writeRole('viewer', (await before.loadRoles()).stamp, viewer());
  const stamps = { subject: (await before.loadSubject('carol')).stamp, roles: (await before.loadRoles()).stamp };
  await first.close();

  const second = SqliteStore.open(path);
  t.teardown(() => second.close());
  const after = new SqliteRbacStore(second);
  t.same(await after.loadSubject('carol'), { value: bound('viewer'), stamp: stamps.subject });
  const roles = await after.loadRoles();
  t.same([...roles.value!.values()], [viewer()]);
  t.equal(roles.stamp, stamps.roles, 'the roles stamp goes on from where it was, so a stale editor still conflicts');
});
