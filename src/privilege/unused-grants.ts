// The least-privilege report: per role and per subject, the grants nobody (or that subject) used in the last `days`
// days, from the recorded last-used days (grant-usage-store.ts). A role's grants are its own, not what it inherits
// (an inherited grant is reported on the role that defines it); a subject's are its direct grants and the grants of
// every role it is bound to, inherited ones included, in the config or through the admin API. Roles a subject only
// gets from its token are not known here, so such subjects appear in the per-role report only.
import type { RoleDefinition, SubjectRecord } from '../rbac/model.js';
import type { RoleGraph } from '../rbac/role-graph.js';
import { grantKey } from './grant-key.js';
import { dayOf, dayText, type Day, type GrantUsageStore } from './grant-usage-store.js';

export interface UnusedGrant {
  /** The role that defines the grant; absent for a direct grant. */
  readonly role?: string;
  /** A direct grant's tenant; absent: every tenant. */
  readonly tenant?: string;
  readonly pattern: string;
  /** The last day it was used (YYYY-MM-DD, UTC), or null: never since recording began. */
  readonly lastUsed: string | null;
}

export interface UnusedReport {
  readonly days: number;
  readonly today: string;
  /** Uses on or after this day count. */
  readonly from: string;
  /** The first day anything was recorded, or null. */
  readonly recordingSince: string | null;
  /** False while recording began after `from`: a grant listed may have been used before it began. */
  readonly complete: boolean;
  readonly roles: readonly { readonly role: string; readonly unused: readonly UnusedGrant[] }[];
  readonly subjects: readonly { readonly subject: string; readonly unused: readonly UnusedGrant[] }[];
}

/** A subject to report on, with what the config and the store bind it to. */
export interface HeldBy {
  readonly subject: string;
  readonly records: readonly SubjectRecord[];
}

export interface UnusedQuery {
  readonly days: number;
  readonly now: number;
  readonly graph: RoleGraph;
  readonly subjects: readonly HeldBy[];
  /** Leave out the per-role part (a later page of subjects). */
  readonly rolesToo: boolean;
}

export async function unusedGrants(store: GrantUsageStore, query: UnusedQuery): Promise<UnusedReport> {
  const today = dayOf(query.now);
  const from = today - query.days + 1;
  const since = await store.since();
  const unusedOf = (usage: ReadonlyMap<string, Day>, key: string): string | null | false => {
    const last = usage.get(key);
    if (last !== undefined && last >= from) return false;
    return last === undefined ? null : dayText(last);
  };
  const roles: { role: string; unused: UnusedGrant[] }[] = [];
  if (query.rolesToo) {
    const usage = await store.roleUsage();
    for (const role of [...query.graph.roles.values()].sort(byName)) {
      const unused = ownGrants(role).flatMap((pattern) => {
        const lastUsed = unusedOf(usage, grantKey({ kind: 'role', role: role.name }, pattern));
        return lastUsed === false ? [] : [{ pattern, lastUsed }];
      });
      if (unused.length > 0) roles.push({ role: role.name, unused });
    }
  }
  const subjects: { subject: string; unused: UnusedGrant[] }[] = [];
  for (const held of query.subjects) {
    const usage = await store.subjectUsage(held.subject);
    const unused: UnusedGrant[] = [];
    const listed = new Set<string>();
    const consider = (key: string, grant: Omit<UnusedGrant, 'lastUsed'>): void => {
      if (listed.has(key)) return;
      listed.add(key);
      const lastUsed = unusedOf(usage, key);
      if (lastUsed !== false) unused.push({ ...grant, lastUsed });
    };
    for (const record of held.records) {
      for (const binding of record.roles) {
        if (binding.expiresAt !== undefined && binding.expiresAt <= query.now) continue;
        for (const name of query.graph.expand(binding.role)) {
          for (const pattern of ownGrants(query.graph.roles.get(name))) consider(grantKey({ kind: 'role', role: name }, pattern), { role: name, pattern });
        }
      }
      for (const entry of record.grants) {
        if (entry.expiresAt !== undefined && entry.expiresAt <= query.now) continue;
        consider(grantKey({ kind: 'direct', tenant: entry.tenant }, entry.code), { ...(entry.tenant === undefined ? {} : { tenant: entry.tenant }), pattern: entry.code });
      }
    }
    if (unused.length > 0) subjects.push({ subject: held.subject, unused });
  }
  return {
    days: query.days,
    today: dayText(today),
    from: dayText(from),
    recordingSince: since === undefined ? null : dayText(since),
    complete: since !== undefined && since <= from,
    roles,
    subjects,
  };
}

function ownGrants(role: RoleDefinition | undefined): readonly string[] {
  return role?.grants ?? [];
}

function byName(a: RoleDefinition, b: RoleDefinition): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}
