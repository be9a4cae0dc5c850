// Who gains and who loses access to what across a reload, decided by the gateway's own RBAC compiler (rbac/compile.ts)
// on each side: for every subject either side knows (config subjects, store subjects) and, where token roles count,
// every role as a token would carry it; in the global scope and in every tenant the subject's bindings name; for every
// code a route requires in either map (scoped codes as code-instances.ts explains). Routes whose requirement changed
// are decided as routes too, since the same policy can then let other callers through.
import type { HttpMethod } from '../config/types.js';
import { compile, decide } from '../rbac/compile.js';
import type { SubjectRecord } from '../rbac/model.js';
import type { RoleGraph } from '../rbac/role-graph.js';
import { collectSources, type CollectedSources } from '../rbac/sources.js';
import type { PermissionCode } from '../routing/permission-template.js';
import { requirementsOf, type RequirementTemplate, type RouteTable } from '../routing/route-table.js';
import { codeInstances, PatternIndex } from './code-instances.js';
import { rolesInForce, type PolicySide } from './policy-side.js';

export interface AccessChange {
  /** A subject's name, or the role a token names (`holder: 'token-role'`). */
  readonly holder: string;
  readonly kind: 'subject' | 'token-role';
  /** Absent: requests with no tenant, or in a tenant none of the holder's bindings names. */
  readonly tenant?: string | undefined;
  /** A code (`order:delete`, `channel:delete:42`, `channel:delete:{channelId}` for any other value) or `GET /path`. */
  readonly on: string;
  readonly change: 'gains' | 'loses';
}

interface Holder {
  readonly name: string;
  readonly kind: 'subject' | 'token-role';
  readonly tenants: readonly (string | undefined)[];
}

export interface RecodedMethod {
  readonly method: HttpMethod;
  readonly pattern: string;
  readonly before: RequirementTemplate;
  readonly after: RequirementTemplate;
}

function requiredTemplates(table: RouteTable): string[] {
  const out: string[] = [];
  for (const route of table.routes) {
    if (route.config.auth === 'none') continue;
    for (const requirement of requirementsOf(route)) for (const t of requirement.templates) out.push(t.source);
  }
  return out;
}

function patternsOf(side: PolicySide): string[] {
  const out: string[] = [];
  for (const roles of [side.configured.roles, side.stored.roles]) for (const role of roles.values()) out.push(...role.grants, ...role.denies);
  for (const subjects of [side.configured.subjects, side.stored.subjects]) {
    for (const record of subjects.values()) out.push(...record.grants.map((g) => g.code), ...record.denies.map((d) => d.code));
  }
  return out;
}

function tenantsOf(records: readonly (SubjectRecord | undefined)[]): (string | undefined)[] {
  const tenants = new Set<string>();
  for (const record of records) {
    for (const list of [record?.roles, record?.grants, record?.denies]) for (const entry of list ?? []) if (entry.tenant !== undefined) tenants.add(entry.tenant);
  }
  return [undefined, ...[...tenants].sort()];
}

function holders(before: PolicySide, after: PolicySide): Holder[] {
  const names = new Set([...before.configured.subjects.keys(), ...after.configured.subjects.keys(), ...before.stored.subjects.keys(), ...after.stored.subjects.keys()]);
  const out: Holder[] = [...names].sort().map((name) => ({
    name,
    kind: 'subject',
    tenants: tenantsOf([before.configured.subjects.get(name), after.configured.subjects.get(name), before.stored.subjects.get(name), after.stored.subjects.get(name)]),
  }));
  if (before.tokenRoles || after.tokenRoles) {
    const roles = new Set([...before.configured.roles.keys(), ...after.configured.roles.keys(), ...before.stored.roles.keys(), ...after.stored.roles.keys()]);
    for (const role of [...roles].sort()) out.push({ name: role, kind: 'token-role', tenants: [undefined] });
  }
  return out;
}

function sourcesFor(side: PolicySide, graph: RoleGraph, holder: Holder, tenant: string | undefined, now: number): CollectedSources {
  const token = holder.kind === 'token-role' && side.tokenRoles;
  const who = { subject: holder.kind === 'subject' ? holder.name : '', tenant, tokenRoles: token ? [holder.name] : [], tokenTenant: undefined, tokenScopes: [] };
  const configured = holder.kind === 'subject' ? side.configured.subjects.get(holder.name) : undefined;
  const stored = holder.kind === 'subject' ? side.stored.subjects.get(holder.name) : undefined;
  return collectSources(who, configured, stored, graph, now);
}

/** What decides a holder's codes on one side, given that side's graph: the roles bound and the direct patterns. */
function signature(collected: CollectedSources): string {
  return JSON.stringify([[...collected.bound].sort(), [...collected.direct.grants].sort(), [...collected.direct.denies].sort()]);
}

/** A role as it acts: its definition and those of every role it inherits. */
function roleMeaning(graph: RoleGraph, role: string): string {
  return JSON.stringify(graph.expand(role).map((name) => {
    const r = graph.roles.get(name)!;
    return [name, [...r.grants].sort(), [...r.denies].sort()];
  }));
}

export function diffAccess(
  before: { readonly side: PolicySide; readonly routes: RouteTable | undefined },
  after: { readonly side: PolicySide; readonly routes: RouteTable },
  recoded: readonly RecodedMethod[],
  now: number,
): AccessChange[] {
  const graphs = [rolesInForce(before.side), rolesInForce(after.side)] as const;
  const patterns = new PatternIndex([...patternsOf(before.side), ...patternsOf(after.side)]);
  const templates = new Set([...(before.routes ? requiredTemplates(before.routes) : []), ...requiredTemplates(after.routes)]);
  const codes = [...new Set([...templates].flatMap((t) => codeInstances(t, patterns)))].sort();
  const generic = (r: RequirementTemplate): PermissionCode[] => r.templates.map((t) => t.source as PermissionCode);
  const out: AccessChange[] = [];
  // Holders with the same roles and direct patterns on each side decide every code alike: decided once per pair of
  // signatures (10,000 subjects of 100 roles are a few thousand pairs), and not at all where nothing they hold changed.
  const byCodes = new Map<string, { on: string; change: 'gains' | 'loses' }[]>();
  const meaning = new Map<string, boolean>();
  const roleUnchanged = (role: string): boolean => {
    let same = meaning.get(role);
    if (same === undefined) meaning.set(role, (same = roleMeaning(graphs[0], role) === roleMeaning(graphs[1], role)));
    return same;
  };
  for (const holder of holders(before.side, after.side)) {
    for (const tenant of holder.tenants) {
      const sa = sourcesFor(before.side, graphs[0], holder, tenant, now);
      const sb = sourcesFor(after.side, graphs[1], holder, tenant, now);
      const key = `${signature(sa)}\u0000${signature(sb)}`;
      const unchanged = signature(sa) === signature(sb) && sa.bound.every(roleUnchanged);
      if (unchanged && recoded.length === 0) continue;
      const a = compile(sa, graphs[0]);
      const b = compile(sb, graphs[1]);
      const push = (on: string, change: 'gains' | 'loses'): void => {
        out.push({ holder: holder.name, kind: holder.kind, ...(tenant === undefined ? {} : { tenant }), on, change });
      };
      if (!unchanged) {
        let rows = byCodes.get(key);
        if (rows === undefined) {
          rows = [];
          for (const code of codes) {
            const was = decide(a, [code], 'all').allowed;
            if (was !== decide(b, [code], 'all').allowed) rows.push({ on: code, change: was ? 'loses' : 'gains' });
          }
          byCodes.set(key, rows);
        }
        for (const row of rows) push(row.on, row.change);
      }
      for (const m of recoded) {
        const was = decide(a, generic(m.before), m.before.mode).allowed;
        if (was !== decide(b, generic(m.after), m.after.mode).allowed) push(`${m.method} ${m.pattern}`, was ? 'loses' : 'gains');
      }
    }
  }
  return out;
}
