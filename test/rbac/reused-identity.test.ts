// The token cache hands out the same Identity object for every request of one token, and the engine keeps the
// compiled permissions that object used last beside the cached subject. That shortcut must never outlive a change:
// a role losing a grant, a role inheriting another, a tenant switch, a role deleted, all with the very same object.
import t, { type Test } from 'tap';
import type { Identity } from '../../src/auth/identity.js';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { RoleDefinition } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';

async function setUp(t: Test) {
  const store = new MemoryRbacStore();
  const rbac = new RbacAuthorizer(defaultRbac(), store);
  await rbac.start();
  t.teardown(() => rbac.close());
  const writeRole = async (role: RoleDefinition | undefined, name = role!.name) => {
    await store.writeRole(name, (await store.loadRoles()).stamp, role);
    await rbac.applyAndWait({ kind: 'role', name, version: 0 });
  };
  const bind = async (subject: string, roles: { role: string; tenant?: string }[]) => {
    await store.writeSubject(subject, (await store.loadSubject(subject)).stamp, { roles, grants: [], denies: [] });
    rbac.apply({ kind: 'subject', name: subject, version: 0 });
  };
  const identity: Identity = { subject: 'alice', roles: [], tenant: undefined, scopes: [] };
  const ask = async (code: string, tenant?: string) =>
    (await rbac.authorize({ identity, tenant, codes: [code as PermissionCode], mode: 'all', sensitive: false })).allowed;
  return { writeRole, bind, ask };
}

t.test('a grant taken from a role is refused to the same identity object at once', async (t) => {
  const { writeRole, bind, ask } = await setUp(t);
  await writeRole({ name: 'clerk', grants: ['order:read', 'order:list'], denies: [], inherits: [] });
  await bind('alice', [{ role: 'clerk' }]);
  t.ok(await ask('order:read'));
  t.ok(await ask('order:read'), 'again: served by the shortcut');
  await writeRole({ name: 'clerk', grants: ['order:list'], denies: [], inherits: [] });
  t.notOk(await ask('order:read'), 'refused after the change');
  t.ok(await ask('order:list'), 'what the role still grants holds');
});

t.test('a deny added to an inherited role, and a role deleted, reach the same identity object', async (t) => {
  const { writeRole, bind, ask } = await setUp(t);
  await writeRole({ name: 'base', grants: ['doc:read:*'], denies: [], inherits: [] });
  await writeRole({ name: 'editor', grants: ['doc:write:*'], denies: [], inherits: ['base'] });
  await bind('alice', [{ role: 'editor' }]);
  t.ok(await ask('doc:read:7'), 'inherited grant');
  await writeRole({ name: 'base', grants: ['doc:read:*'], denies: ['doc:*:7'], inherits: [] });
  t.notOk(await ask('doc:read:7'), 'a deny in the inherited role now refuses');
  t.notOk(await ask('doc:write:7'), 'it covers the heir’s own grant too');
  t.ok(await ask('doc:write:8'));
  await writeRole({ name: 'editor', grants: [], denies: [], inherits: [] });
  t.notOk(await ask('doc:write:8'), 'the role emptied: its grant is gone');
});

t.test('a tenant switch with the same identity object uses the other tenant’s roles', async (t) => {
  const { writeRole, bind, ask } = await setUp(t);
  await writeRole({ name: 'clerk', grants: ['order:read'], denies: [], inherits: [] });
  await bind('alice', [{ role: 'clerk', tenant: 'acme' }]);
  t.ok(await ask('order:read', 'acme'));
  t.notOk(await ask('order:read', 'globex'), 'not bound in globex');
  t.ok(await ask('order:read', 'acme'), 'back in acme');
  t.notOk(await ask('order:read'), 'no tenant: the tenant-bound role does not hold');
});
