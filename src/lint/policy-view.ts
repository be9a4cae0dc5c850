// The policy lint reasons about: roles and subjects from the config's `rbac` section and, when read, from the RBAC
// store, each with the place a finding about it should name.
import type { LoadedConfig } from '../config/load.js';
import type { RoleDefinition, SubjectRecord } from '../rbac/model.js';
import type { FindingPlace } from './finding.js';
import { configPlace } from './places.js';

export interface PolicyRole {
  readonly definition: RoleDefinition;
  readonly origin: 'config' | 'store';
  /** Where the role, or one of its grants or denies, is written. */
  readonly place: (part?: { readonly list: 'grants' | 'denies'; readonly index: number }) => FindingPlace;
}

export interface PolicySubject {
  readonly name: string;
  readonly origin: 'config' | 'store';
  readonly record: SubjectRecord;
  readonly place: (part?: { readonly list: 'grants' | 'denies'; readonly index: number }) => FindingPlace;
}

export interface PolicyView {
  readonly roles: readonly PolicyRole[];
  readonly subjects: readonly PolicySubject[];
}

/** What the RBAC store holds, as read by store-policy.ts. */
export interface StoredPolicy {
  readonly roles: ReadonlyMap<string, RoleDefinition>;
  readonly subjects: ReadonlyMap<string, SubjectRecord>;
}

export function policyView(loaded: LoadedConfig, stored: StoredPolicy | undefined): PolicyView {
  const roles: PolicyRole[] = [];
  const subjects: PolicySubject[] = [];
  const fromConfig = (section: 'roles' | 'subjects', name: string) => (part?: { list: 'grants' | 'denies'; index: number }) =>
    part === undefined
      ? configPlace(loaded, ['rbac', section, name], `rbac.${section}.${name}`)
      : configPlace(loaded, ['rbac', section, name, part.list, part.index], `rbac.${section}.${name}.${part.list}[${part.index}]`);
  const fromStore = (kind: 'role' | 'subject', name: string) => (): FindingPlace => ({ kind: 'store', record: `${kind} ${name}` });
  const policy = loaded.config.rbac.policy;
  for (const [name, definition] of policy.roles) roles.push({ definition, origin: 'config', place: fromConfig('roles', name) });
  for (const [name, record] of policy.subjects) subjects.push({ name, record, origin: 'config', place: fromConfig('subjects', name) });
  // A stored role named like a config role is never used (rbac-authorizer.ts mergeRoles): the config's wins.
  for (const [name, definition] of stored?.roles ?? []) if (!policy.roles.has(name)) roles.push({ definition, origin: 'store', place: fromStore('role', name) });
  for (const [name, record] of stored?.subjects ?? []) subjects.push({ name, record, origin: 'store', place: fromStore('subject', name) });
  return { roles, subjects };
}
