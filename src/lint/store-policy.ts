// Reads the dynamic policy from the RBAC store, read-only: every stored role and every stored subject, in pages.
import type { RoleDefinition, SubjectRecord } from '../rbac/model.js';
import type { RbacStore } from '../rbac/rbac-store.js';
import type { StoredPolicy } from './policy-view.js';

const PAGE = 500;

export async function readStoredPolicy(store: RbacStore): Promise<StoredPolicy> {
  const roles: ReadonlyMap<string, RoleDefinition> = (await store.loadRoles()).value ?? new Map();
  const subjects = new Map<string, SubjectRecord>();
  let cursor = '0';
  do {
    const page = await store.listSubjects(cursor, PAGE);
    for (const name of page.subjects) {
      const record = (await store.loadSubject(name)).value;
      if (record !== undefined) subjects.set(name, record);
    }
    cursor = page.cursor;
  } while (cursor !== '0' && cursor !== '');
  return { roles, subjects };
}
