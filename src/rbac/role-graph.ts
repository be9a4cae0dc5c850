// Roles and their inheritance, closed once: each role knows every role it holds (itself included), so expanding a
// subject's roles costs a lookup per bound role, not a graph walk per request.
import type { RoleDefinition } from './model.js';
import { PermissionTrie } from './permission-trie.js';

/** A role with everything it inherits, compiled: built on first use, shared by every subject that holds the role. */
export interface CompiledRole {
  readonly grants: PermissionTrie;
  readonly denies: PermissionTrie;
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

  /** @throws RoleCycleError or UnknownRoleError */
  constructor(roles: ReadonlyMap<string, RoleDefinition>) {
    this.roles = roles;
    for (const name of roles.keys()) this.#close(name, []);
    for (const [name, held] of this.#closure) {
      for (const role of held) {
        let holders = this.#holders.get(role);
        if (holders === undefined) this.#holders.set(role, (holders = new Set()));
        holders.add(name);
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

  /** The role's grants and denies with all it inherits, compiled once per graph (a role change makes a new graph). */
  compiled(name: string): CompiledRole {
    let compiled = this.#compiled.get(name);
    if (compiled === undefined) {
      const grants = new PermissionTrie();
      const denies = new PermissionTrie();
      for (const held of this.expand(name)) {
        const role = this.roles.get(held)!;
        for (const pattern of role.grants) grants.add(pattern);
        for (const pattern of role.denies) denies.add(pattern);
      }
      this.#compiled.set(name, (compiled = { grants, denies }));
    }
    return compiled;
  }

  /** Every role whose holders gain or lose something when `name` changes (itself and its heirs). */
  heirs(name: string): ReadonlySet<string> {
    return this.#holders.get(name) ?? new Set([name]);
  }
}
