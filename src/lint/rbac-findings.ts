// Policy findings: codes routes require that no grant can satisfy, grants no route requires (an interface removed
// and re-added under the same name must not silently revive them), roles nobody holds, and roles whose own denies
// cancel every grant they give.
import type { LoadedConfig } from '../config/load.js';
import { mergeRoles } from '../rbac/rbac-authorizer.js';
import { RoleGraph } from '../rbac/role-graph.js';
import { requirementsOf } from '../routing/route-table.js';
import { parsePermissionPattern, type PatternPart } from '../rbac/permission-pattern.js';
import type { Finding, FindingPlace } from './finding.js';
import { patternMeetsTemplate, patternSubsumes, templateParts, type TemplateParts } from './pattern-overlap.js';
import type { PolicyRole, PolicyView } from './policy-view.js';
import { configPlace } from './places.js';

interface Grant {
  readonly holder: string;
  readonly source: string;
  readonly pattern: readonly PatternPart[];
  readonly place: () => FindingPlace;
}

interface Required {
  readonly source: string;
  readonly parts: TemplateParts;
  readonly route: string;
  /** Located only for a finding: the loader's locator walks the document. */
  readonly place: () => FindingPlace;
}

/**
 * Items grouped by the first part they can meet, so each check looks only at its own group plus those that meet
 * any first part (`*`, a parameter): without it lint is quadratic in routes × grants (5,000 routes took ~4 s).
 */
class FirstPartIndex<T> {
  readonly #byFirst = new Map<string, T[]>();
  readonly #any: T[] = [];

  add(first: readonly string[] | undefined, item: T): void {
    if (first === undefined) return void this.#any.push(item);
    for (const part of first) {
      let list = this.#byFirst.get(part);
      if (list === undefined) this.#byFirst.set(part, (list = []));
      list.push(item);
    }
  }

  /** Items that may meet something whose first part is one of `first` (undefined: any first part). */
  candidates(first: readonly string[] | undefined): Iterable<T> {
    if (first === undefined) return [...this.#any, ...[...this.#byFirst.values()].flat()];
    return [...this.#any, ...new Set(first.flatMap((part) => this.#byFirst.get(part) ?? []))];
  }
}

const firstOfPattern = (pattern: readonly PatternPart[]): readonly string[] | undefined => (pattern[0] === '*' ? undefined : pattern[0]);
const firstOfTemplate = (parts: TemplateParts): readonly string[] | undefined => (parts[0] === undefined ? undefined : [parts[0]]);

function grantsOf(view: PolicyView): Grant[] {
  const grants: Grant[] = [];
  for (const role of view.roles) {
    role.definition.grants.forEach((source, index) =>
      grants.push({ holder: `role ${role.definition.name}`, source, pattern: parsePermissionPattern(source), place: () => role.place({ list: 'grants', index }) }),
    );
  }
  for (const subject of view.subjects) {
    subject.record.grants.forEach((entry, index) =>
      grants.push({ holder: `subject ${subject.name}`, source: entry.code, pattern: parsePermissionPattern(entry.code), place: () => subject.place({ list: 'grants', index }) }),
    );
  }
  return grants;
}

/** Every code template some route requires for some method, once per route and code. */
function requiredCodes(loaded: LoadedConfig): Required[] {
  const required: Required[] = [];
  for (const route of loaded.routes.routes) {
    const seen = new Set<string>();
    for (const requirement of requirementsOf(route)) {
      for (const template of requirement.templates) {
        if (seen.has(template.source)) continue;
        seen.add(template.source);
        const place = (): FindingPlace => configPlace(loaded, ['routes', route.index, 'permission'], `routes[${route.index}].permission`);
        required.push({ source: template.source, parts: templateParts(template.source), route: route.pattern, place });
      }
    }
  }
  return required;
}

/**
 * Skipped when the config lets tokens carry exact codes (`rbac.tokenScopes`): any code may then be granted by a
 * token, which lint cannot see.
 */
export function codesNeverGranted(loaded: LoadedConfig, view: PolicyView): Finding[] {
  if (loaded.config.rbac.tokenScopes) return [];
  const grants = new FirstPartIndex<Grant>();
  for (const grant of grantsOf(view)) grants.add(firstOfPattern(grant.pattern), grant);
  const meets = (code: Required): boolean => {
    for (const grant of grants.candidates(firstOfTemplate(code.parts))) if (patternMeetsTemplate(grant.pattern, code.parts)) return true;
    return false;
  };
  const where = [...view.roles, ...view.subjects].some((held) => held.origin === 'store') ? ' or the store' : '';
  return requiredCodes(loaded)
    .filter((code) => !meets(code))
    .map((code) => ({
      severity: 'warning',
      rule: 'code-never-granted',
      message: `${code.route} requires ${code.source}, which no grant in the config${where} can satisfy (until one is added through the admin API, only refusals)`,
      place: code.place(),
    }));
}

/** Grants in the admin namespace (`permgate:…`) serve the admin API, not routes, and are never dangling. */
export function grantsMatchingNoRoute(loaded: LoadedConfig, view: PolicyView): Finding[] {
  const required = new FirstPartIndex<Required>();
  for (const code of requiredCodes(loaded)) required.add(firstOfTemplate(code.parts), code);
  const meets = (grant: Grant): boolean => {
    for (const code of required.candidates(firstOfPattern(grant.pattern))) if (patternMeetsTemplate(grant.pattern, code.parts)) return true;
    return false;
  };
  return grantsOf(view)
    .filter((grant) => !(grant.pattern[0] !== '*' && grant.pattern[0]!.includes('permgate')))
    .filter((grant) => !meets(grant))
    .map((grant) => ({
      severity: 'warning',
      rule: 'grant-matches-no-route',
      message: `${grant.holder} is granted ${grant.source}, which no route requires: a route added later under this code would be open to it at once`,
      place: grant.place(),
    }));
}

function graphOf(loaded: LoadedConfig, view: PolicyView): RoleGraph {
  const configured = loaded.config.rbac.policy.roles;
  const stored = new Map(view.roles.filter((r) => r.origin === 'store').map((r) => [r.definition.name, r.definition]));
  return mergeRoles(configured, stored, new RoleGraph(configured));
}

/**
 * A role is held when a subject (config or store) is bound to it or to a role that inherits it. When tokens may
 * carry roles (`auth.jwt.claims.roles`), any role may be held by a token, so none is reported.
 */
export function rolesHeldByNobody(loaded: LoadedConfig, view: PolicyView): Finding[] {
  if (loaded.config.auth?.jwt.claims.roles !== undefined) return [];
  const graph = graphOf(loaded, view);
  const held = new Set<string>();
  for (const subject of view.subjects) for (const binding of subject.record.roles) for (const role of graph.expand(binding.role)) held.add(role);
  return view.roles
    .filter((role) => !held.has(role.definition.name))
    .map((role) => ({
      severity: 'warning',
      rule: 'role-held-by-nobody',
      message: `role ${role.definition.name} is bound to no subject and inherited by no bound role, and tokens carry no roles (auth.jwt.claims.roles is not set)`,
      place: role.place(),
    }));
}

/** Each grant (inherited ones too) covered by one deny of the role (inherited ones too): the role grants nothing. */
export function rolesWhoseDeniesCancelGrants(loaded: LoadedConfig, view: PolicyView): Finding[] {
  const graph = graphOf(loaded, view);
  const findings: Finding[] = [];
  const byName = new Map<string, PolicyRole>(view.roles.map((role) => [role.definition.name, role]));
  for (const role of view.roles) {
    const held = graph.expand(role.definition.name).map((name) => graph.roles.get(name)!);
    const grants = held.flatMap((r) => r.grants).map(parsePermissionPattern);
    const denies = held.flatMap((r) => r.denies).map(parsePermissionPattern);
    if (grants.length === 0 || denies.length === 0) continue;
    if (!grants.every((grant) => denies.some((deny) => patternSubsumes(deny, grant)))) continue;
    findings.push({
      severity: 'warning',
      rule: 'role-denies-cancel-grants',
      message: `role ${role.definition.name}: its denies cover every grant it holds (inherited included), so it allows nothing`,
      place: byName.get(role.definition.name)!.place(),
    });
  }
  return findings;
}
