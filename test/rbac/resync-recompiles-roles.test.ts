// A resync says "anything may have changed" without naming a role. A subject read again while the roles reload is
// compiled against the roles as they were; once the new roles are in, that compiled form must go, or a grant taken
// from a role in the missed change would hold until the cache TTL.
import t from 'tap';
import { defaultRbac } from '../../src/config/validate-rbac.js';
import type { RoleDefinition } from '../../src/rbac/model.js';
import { RbacAuthorizer } from '../../src/rbac/rbac-authorizer.js';
import type { RbacChange, RbacStore, Stamped } from '../../src/rbac/rbac-store.js';
import type { PermissionCode } from '../../src/routing/permission-template.js';
import { MemoryRbacStore } from '../../src/stores/memory/memory-rbac-store.js';

/** The memory store, with its announcements swallowed (a lost message) and role reads held at a gate. */
class GatedStore implements RbacStore {
  readonly inner = new MemoryRbacStore();
  gate: Promise<void> | undefined;
  start(): Promise<void> {
    return this.inner.start(() => {});
  }
  close = () => this.inner.close();
  isCurrent = () => true;
  confirmCurrent = () => true;
  async loadRoles(): Promise<Stamped<ReadonlyMap<string, RoleDefinition>>> {
    await this.gate;
    return this.inner.loadRoles();
  }
  loadSubject = (subject: string) => this.inner.loadSubject(subject);
  listSubjects = (cursor: string, count: number) => this.inner.listSubjects(cursor, count);
  writeSubject: RbacStore['writeSubject'] = (subject, stamp, next) => this.inner.writeSubject(subject, stamp, next);
  writeRole: RbacStore['writeRole'] = (name, stamp, next) => this.inner.writeRole(name, stamp, next);
}

t.test('a subject read during the roles reload after a resync is compiled again once they are in', async (t) => {
  const store = new GatedStore();
  const rbac = new RbacAuthorizer(defaultRbac(), store);
  await rbac.start();
  t.teardown(() => rbac.close());
  const roles = await store.inner.loadRoles();
  await store.inner.writeRole('clerk', roles.stamp, { name: 'clerk', grants: ['order:read'], denies: [], inherits: [] });
  const subject = await store.inner.loadSubject('alice');
  await store.inner.writeSubject('alice', subject.stamp, { roles: [{ role: 'clerk' }], grants: [], denies: [] });
  await rbac.applyAndWait({ kind: 'role', name: 'clerk', version: 1 } as RbacChange);
  const ask = async () =>
    (await rbac.authorize({ identity: { subject: 'alice', roles: [], tenant: undefined, scopes: [] }, tenant: undefined, codes: ['order:read' as PermissionCode], mode: 'all', sensitive: false })).allowed;
  t.ok(await ask(), 'clerk reads orders');
  // The change nobody announced: clerk loses order:read.
  const now = await store.inner.loadRoles();
  await store.inner.writeRole('clerk', now.stamp, { name: 'clerk', grants: [], denies: [], inherits: [] });
  let open!: () => void;
  store.gate = new Promise((resolve) => (open = resolve));
  rbac.apply({ kind: 'resync', reason: 'version check' });
  t.ok(await ask(), 'read again while the roles reload: compiled against the roles as they were');
  open();
  store.gate = undefined;
  await new Promise((resolve) => setTimeout(resolve, 20));
  t.notOk(await ask(), 'once the new roles are in, the grant the missed change took away is gone');
});
