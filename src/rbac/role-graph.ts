// Roles and their inheritance, closed once: each role knows every role it holds (itself included), so expanding a
// subject's roles costs a lookup per bound role, not a graph walk per request.
import { ConditionCache, ConditionError, type CompiledCondition } from './condition.js';
import { GrantIndex } from './grant-index.js';
import type { RoleDefinition } from './model.js';
import { namesSubject } from './permission-pattern.js';
import { PermissionTrie } from './permission-trie.js';

/**
 * What a role holds beyond its plain grants and denies (those are in the graph's GrantIndex), with everything it
 * inherits: built on first use, shared by every subject that holds the role.
 */
export interface CompiledRole {
  /** Grants with a `{subject}` part: filled in for each holder when its permissions are compiled. */
  readonly subjectGrants: readonly SubjectGrant[];
  /** Denies with a `{subject}` part, filled in the same way (widened to `*` there for a name that cannot be a part). */
  readonly subjectDenies: readonly string[];
  /** Conditional grants without `{subject}`, one trie per distinct condition (shared by every holder). */
  readonly conditional: readonly ConditionalTrie[];
}

/** A grant naming its holder, with its condition if it has one. */
export interface SubjectGrant {
  readonly pattern: string;
  readonly when: CompiledCondition | undefined;
}

/** A role's plain grants and denies with all it inherits, for a binding under a condition. */
export interface RoleTries {
  readonly grants: PermissionTrie;
  readonly denies: PermissionTrie;
}

export interface ConditionalTrie {
  readonly grants: PermissionTrie;
  readonly when: CompiledCondition;
}

export class RoleCycleError extends Error {
  constructor(readonly cycle: readonly string[]) {
    super(`roles inherit in a cycle: ${cycle.join(' → ')}`);
    this.name = 'RoleCycleError';
  }
}

export class UnknownRoleError extends Error {
  constructor(readonly role: string, readonly inheritedBy: string) {
    super(`role "${inheritedBy}" inherits "${role}", which is not defined`);
    this.name = 'UnknownRoleError';
  }
}

export class RoleGraph {
  readonly roles: ReadonlyMap<string, RoleDefinition>;
  /** role → every role it holds, itself first. */
  readonly #closure = new Map<string, readonly string[]>();
  /** role → every role that holds it (itself included): whose holders a change to it affects. */
  readonly #holders = new Map<string, Set<string>>();
  readonly #compiled = new Map<string, CompiledRole>();
  readonly #tries = new Map<string, RoleTries>();
  /**
   * Every role's plain grants and denies, indexed on first use of the role (grant-index.ts). Shared with the graph
   * this one replaces when built with `previous`: its roles that did not change keep their ids and entries.
   */
  readonly index: GrantIndex;
  /** Role name → its id in the index; a role is indexed when it has one. */
  readonly #ids = new Map<string, number>();
  /** Conditions of this policy's roles and bindings, compiled once each (sources.ts compiles bindings' here too). */
  readonly conditions = new ConditionCache();

  /**
   * `previous`: the graph this one replaces. Its index is carried over for the roles whose grants and denies are
   * unchanged, so a role change re-indexes that role only, not every role as subjects are compiled again (at 1,000
   * roles of 900 grants, ~2.5 s of work after every change). A changed role gets a new id; its old entries stay for
   * the compiled subjects that still use the old graph, and are counted: once they outweigh the live ones the
   * index starts over.
   * @throws RoleCycleError or UnknownRoleError
   */
  constructor(roles: ReadonlyMap<string, RoleDefinition>, previous?: RoleGraph) {
    this.roles = roles;
    for (const name of roles.keys()) this.#close(name, []);
    for (const [name, held] of this.#closure) {
      for (const role of held) {
        let holders = this.#holders.get(role);
        if (holders === undefined) this.#holders.set(role, (holders = new Set()));
        holders.add(name);
      }
    }
    this.index = previous === undefined || previous.index.worn ? new GrantIndex() : previous.index;
    if (this.index === previous?.index) {
      for (const [name, id] of previous.#ids) {
        const was = previous.roles.get(name)!;
        const now = roles.get(name);
        if (now !== undefined && samePlain(was, now)) this.#ids.set(name, id);
        else this.index.retire(id);
      }
    }
  }

  #close(name: string, path: string[]): readonly string[] {
    const done = this.#closure.get(name);
    if (done !== undefined) return done;
    const at = path.indexOf(name);
    if (at !== -1) throw new RoleCycleError([...path.slice(at), name]);
    const role = this.roles.get(name)!;
    const held = new Set<string>([name]);
    for (const parent of role.inherits) {
      if (!this.roles.has(parent)) throw new UnknownRoleError(parent, name);
      for (const r of this.#close(parent, [...path, name])) held.add(r);
    }
    const list = [...held];
    this.#closure.set(name, list);
    return list;
  }

  has(name: string): boolean {
    return this.roles.has(name);
  }

  /** Every role `name` holds, itself first; empty for a role that does not exist (it grants nothing). */
  expand(name: string): readonly string[] {
    return this.#closure.get(name) ?? [];
  }

  /** What the role holds beyond its plain grants and denies, with all it inherits, compiled once per graph. */
  compiled(name: string): CompiledRole {
    let compiled = this.#compiled.get(name);
    if (compiled === undefined) {
      const subjectGrants: SubjectGrant[] = [];
      const subjectDenies: string[] = [];
      const conditional = new Map<CompiledCondition, PermissionTrie>();
      for (const held of this.expand(name)) {
        const role = this.roles.get(held)!;
        for (const pattern of role.grants) if (namesSubject(pattern)) subjectGrants.push({ pattern, when: undefined });
        for (const pattern of role.denies) if (namesSubject(pattern)) subjectDenies.push(pattern);
        for (const grant of role.conditionalGrants ?? []) {
          const when = this.condition(grant.when);
          // A condition that does not compile (a store edited by hand) grants nothing.
          if (when === undefined) continue;
          if (namesSubject(grant.code)) subjectGrants.push({ pattern: grant.code, when });
          else {
            let trie = conditional.get(when);
            if (trie === undefined) conditional.set(when, (trie = new PermissionTrie()));
            trie.add(grant.code);
          }
        }
      }
      const tries = [...conditional].map(([when, trie]) => ({ grants: trie, when }));
      this.#compiled.set(name, (compiled = { subjectGrants, subjectDenies, conditional: tries }));
    }
    return compiled;
  }

  /**
   * The role's plain grants and denies with all it inherits, as tries of their own: for a role bound under a
   * condition, whose grants hold only while the binding's condition does (the index cannot say that).
   */
  tries(name: string): RoleTries {
    let tries = this.#tries.get(name);
    if (tries === undefined) {
      const grants = new PermissionTrie();
      const denies = new PermissionTrie();
      for (const held of this.expand(name)) {
        const role = this.roles.get(held)!;
        for (const pattern of role.grants) if (!namesSubject(pattern)) grants.add(pattern);
        for (const pattern of role.denies) if (!namesSubject(pattern)) denies.add(pattern);
      }
      this.#tries.set(name, (tries = { grants, denies }));
    }
    return tries;
  }

  /**
   * The index ids of `names` and every role they inherit, sorted: what a subject holding them is checked with
   * against `index`. Each role's own plain grants and denies are indexed the first time a subject holds it.
   */
  heldIds(names: Iterable<string>): Int32Array {
    const ids = new Set<number>();
    for (const name of names) {
      for (const held of this.expand(name)) {
        let id = this.#ids.get(held);
        if (id === undefined) {
          id = this.index.nextId();
          this.#ids.set(held, id);
          const role = this.roles.get(held)!;
          this.index.add(
            id,
            role.grants.filter((pattern) => !namesSubject(pattern)),
            role.denies.filter((pattern) => !namesSubject(pattern)),
          );
        }
        ids.add(id);
      }
    }
    return Int32Array.from(ids).sort();
  }

  /** A `when` compiled (shared with every equal one), or undefined when it does not compile: it then never holds. */
  condition(spec: unknown): CompiledCondition | undefined {
    try {
      return this.conditions.get(spec as never);
    } catch (err) {
      if (err instanceof ConditionError) return undefined;
      throw err;
    }
  }

  /** Every role whose holders gain or lose something when `name` changes (itself and its heirs). */
  heirs(name: string): ReadonlySet<string> {
    return this.#holders.get(name) ?? new Set([name]);
  }
}

/** Whether two definitions of a role hold the same grants and denies (what the index holds of them). */
function samePlain(a: RoleDefinition, b: RoleDefinition): boolean {
  return a === b || (sameList(a.grants, b.grants) && sameList(a.denies, b.denies));
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
