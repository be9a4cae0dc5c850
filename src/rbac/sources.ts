// Where a caller's permissions come from, for one request's subject and tenant: roles bound in the config, roles
// bound through the admin API, roles named in the token, direct grants and denies, and the token's scope codes.
// Compiling (compile.ts) and explaining (explain.ts) both start here, so an explanation is the decision's own.
import { allOf, NEVER, type CompiledCondition } from './condition.js';
import { scopeHolds, type RoleBinding, type SubjectRecord } from './model.js';
import type { RoleGraph } from './role-graph.js';

/** Who is asking, as the authorization stage sees it. */
export interface Subject {
  readonly subject: string;
  /** The tenant of this request (token claim or route path parameter). */
  readonly tenant: string | undefined;
  /** Roles the token names. They hold in the token's own tenant (everywhere if the token names none). */
  readonly tokenRoles: readonly string[];
  readonly tokenTenant: string | undefined;
  /** Concrete codes from the token's scope claim, when `rbac.tokenScopes` trusts them. */
  readonly tokenScopes: readonly string[];
}

/**
 * Who holds a source's grants, for the least-privilege report (privilege/): a role (the one defining the grant, not
 * the one bound, so an inherited grant is the inherited role's), the subject itself (a direct grant, in one tenant or
 * all), or the token's scope claim (nothing stored to report on).
 */
export type GrantHolder =
  | { readonly kind: 'role'; readonly role: string }
  | { readonly kind: 'direct'; readonly tenant: string | undefined }
  | { readonly kind: 'scope' };

/** One contributor of grants and denies, labelled for explanations. */
export interface PermissionSource {
  readonly via: string;
  /** As written: a `{subject}` part is the subject's own name (permission-pattern.ts `forSubject`). */
  readonly grants: readonly string[];
  readonly denies: readonly string[];
  readonly holder: GrantHolder;
  /** The binding's condition: the grants (never the denies) hold only while it does. */
  readonly when?: CompiledCondition | undefined;
  /** Grants with a condition of their own (and the binding's, if any). */
  readonly conditionalGrants?: readonly ConditionalPattern[] | undefined;
}

export interface ConditionalPattern {
  readonly pattern: string;
  readonly when: CompiledCondition;
}

/** A role bound under a condition: its grants hold while the condition does, its denies always. */
export interface ConditionalBinding {
  readonly role: string;
  readonly when: CompiledCondition;
}

export interface CollectedSources {
  /** Every contributor, role by role (inherited roles too), for explanations. */
  readonly sources: readonly PermissionSource[];
  readonly subject: string;
  /** The roles bound here (not expanded): compiled per role, once, and shared by every subject holding them. */
  readonly bound: readonly string[];
  /** Roles bound under a condition and not also held without one. */
  readonly boundWhen: readonly ConditionalBinding[];
  /** Grants and denies held directly (config, admin, token scopes): compiled per subject. */
  readonly direct: { readonly grants: readonly string[]; readonly denies: readonly string[]; readonly conditional: readonly ConditionalPattern[] };
  /** Every role held (expanded), conditionally or not, so a change to one of them finds this subject's compiled entry. */
  readonly roles: ReadonlySet<string>;
  /** The roles held without a condition: what the upstream is told held. */
  readonly held: ReadonlySet<string>;
  /** The first moment a binding or grant that counts now expires: the compiled form is rebuilt then. */
  readonly validUntil: number;
}

/** A code from a token's scope claim may only name itself: no wildcard, no list. */
const CONCRETE_CODE = /^[A-Za-z0-9._~@-]+(:[A-Za-z0-9._~@-]+)*$/;

export function collectSources(
  who: Subject,
  configured: SubjectRecord | undefined,
  dynamic: SubjectRecord | undefined,
  graph: RoleGraph,
  now: number,
): CollectedSources {
  const sources: PermissionSource[] = [];
  const roles = new Set<string>();
  const bound: string[] = [];
  const whenBound: ConditionalBinding[] = [];
  const whenRoles = new Set<string>();
  const direct = { grants: [] as string[], denies: [] as string[], conditional: [] as ConditionalPattern[] };
  let validUntil = Infinity;
  const until = (expiresAt: number | undefined): string => {
    if (expiresAt === undefined) return '';
    validUntil = Math.min(validUntil, expiresAt);
    return ` until ${new Date(expiresAt).toISOString()}`;
  };
  const bind = (binding: RoleBinding, origin: string): void => {
    if (!scopeHolds(binding, who.tenant, now)) return;
    // A condition that does not compile (a store edited by hand) never holds: the role's denies still do.
    const when = binding.when === undefined ? undefined : (graph.condition(binding.when) ?? NEVER);
    const suffix = `${origin}${binding.tenant !== undefined ? ` in tenant ${binding.tenant}` : ''}${until(binding.expiresAt)}${when ? ', conditional' : ''}`;
    const seen = when === undefined ? roles : whenRoles;
    if (graph.has(binding.role) && !seen.has(binding.role)) {
      if (when === undefined) bound.push(binding.role);
      else whenBound.push({ role: binding.role, when });
    }
    for (const name of graph.expand(binding.role)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const role = graph.roles.get(name)!;
      const via = name === binding.role ? `role ${name} (${suffix})` : `role ${name} (inherited through ${binding.role}, ${suffix})`;
      const conditionalGrants = (role.conditionalGrants ?? []).map((grant) => ({
        pattern: grant.code,
        when: allOf(when, graph.condition(grant.when) ?? NEVER),
      }));
      if (role.grants.length + role.denies.length + conditionalGrants.length > 0) {
        sources.push({ via, grants: role.grants, denies: role.denies, holder: { kind: 'role', role: name }, when, conditionalGrants });
      }
    }
  };
  for (const binding of configured?.roles ?? []) bind(binding, 'bound in config');
  for (const binding of dynamic?.roles ?? []) bind(binding, 'bound by admin');
  if (who.tokenTenant === undefined || who.tokenTenant === who.tenant) {
    for (const role of who.tokenRoles) if (graph.has(role)) bind({ role }, 'named in token');
  }
  for (const [record, origin] of [[configured, 'config'], [dynamic, 'admin']] as const) {
    if (record === undefined) continue;
    for (const [list, effect] of [[record.grants, 'grant'], [record.denies, 'deny']] as const) {
      for (const entry of list) {
        if (!scopeHolds(entry, who.tenant, now)) continue;
        const via = `direct ${effect} (${origin}${entry.tenant !== undefined ? ` in tenant ${entry.tenant}` : ''}${until(entry.expiresAt)})`;
        const holder = { kind: 'direct', tenant: entry.tenant } as const;
        if (effect === 'grant' && entry.when !== undefined) {
          const conditional = { pattern: entry.code, when: graph.condition(entry.when) ?? NEVER };
          sources.push({ via, grants: [], denies: [], holder, conditionalGrants: [conditional] });
          direct.conditional.push(conditional);
          continue;
        }
        sources.push(effect === 'grant' ? { via, grants: [entry.code], denies: [], holder } : { via, grants: [], denies: [entry.code], holder });
        (effect === 'grant' ? direct.grants : direct.denies).push(entry.code);
      }
    }
  }
  if (who.tokenScopes.length > 0 && (who.tokenTenant === undefined || who.tokenTenant === who.tenant)) {
    const scopes = who.tokenScopes.filter((code) => CONCRETE_CODE.test(code));
    if (scopes.length > 0) sources.push({ via: 'token scope', grants: scopes, denies: [], holder: { kind: 'scope' } });
    direct.grants.push(...scopes);
  }
  const held = new Set(roles);
  for (const name of whenRoles) roles.add(name);
  // A role also held without a condition needs no conditional copy.
  const boundWhen = whenBound.filter((binding) => !held.has(binding.role));
  return { subject: who.subject, sources, bound, boundWhen, direct, roles, held, validUntil };
}

