// Changes to the dynamic policy, as the admin API makes them. Each change is read → modify → compare-and-set,
// retried on a conflict, so concurrent admins never lose an update; checked whole before it is written, so nothing
// is half-written; applied on this instance at once (the announcement reaches the others); and audited.
//
// Contention: changes to one subject (or to the roles) made through this instance queue behind each other, so the
// compare-and-set only ever races other instances, and a lost race backs off with jitter before it reads again.
// Without both, N concurrent writers need up to N rounds and the last one can run out of attempts (seen in CI: 30
// concurrent grants through two instances, two of them answered 409).
import { GatewayError } from '../errors.js';
import type { AuditTrail } from '../observability/audit-trail.js';
import type { RevocationList } from '../auth/revocation-list.js';
import type { RbacConfig } from '../config/rbac-types.js';
import { EMPTY_SUBJECT, type RoleDefinition, type SubjectRecord } from './model.js';
import type { RbacAuthorizer } from './rbac-authorizer.js';
import type { RbacStore } from './rbac-store.js';
import { RoleCycleError, RoleGraph, UnknownRoleError } from './role-graph.js';

/**
 * Who makes a change: the admin token (nobody in particular: not limited by the self-edit rule), or a person
 * authenticated by a JWT, who may change nothing that alters what they hold themselves (see #refuseSelfEdit).
 */
export type Actor =
  /** `admin-token`, or `admin-token:NAME` for a console session opened with it (the name its user gave). */
  | { readonly kind: 'admin-token'; readonly name: string }
  | {
      readonly kind: 'person';
      /** Written to the audit trail as "who": the JWT's subject. */
      readonly name: string;
      readonly subject: string;
      /** The roles the actor's token names (whether or not they are defined yet). */
      readonly tokenRoles: readonly string[];
    };

export interface ChangeOptions {
  /** Also revoke every token the subject holds now, so the change cannot be outlived by a token's claims. */
  readonly revokeTokens?: boolean;
}

/** A change gives up with 409 after this many lost races or this long by the injected clock, whichever comes first. */
const ATTEMPTS = 50;
const GIVE_UP_AFTER_MS = 5_000;
/** Back-off after the n-th lost race: random in [0, min(CAP, BASE·2ⁿ)) ms ("full jitter"). */
const BACKOFF_BASE_MS = 2;
const BACKOFF_CAP_MS = 100;

function backoff(attempt: number): Promise<void> {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  return new Promise((resolve) => setTimeout(resolve, Math.random() * ceiling));
}

/**
 * Reads `load` (a read has no effect, so it may be repeated): a store that fails to answer is asked again after a
 * back-off until `deadline` by `now`, then the change gives up with 503. A busy shared store makes an admin wait, not
 * fail. The back-off itself sleeps in real time (a few ms of jitter); only the deadline follows the injected clock.
 */
async function read<T>(load: () => Promise<T>, deadline: number, now: () => number): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await load();
    } catch (err) {
      if (err instanceof GatewayError && err.code !== 'PG_STORE_UNAVAILABLE') throw err;
      if (now() >= deadline) {
        throw err instanceof GatewayError ? err : new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'the policy could not be read; retry', headers: { 'retry-after': '1' }, cause: err });
      }
      await backoff(attempt + 1);
    }
  }
}

function badInput(detail: string): GatewayError {
  return new GatewayError('PG_ADMIN_BAD_INPUT', { detail });
}

export class PolicyEditor {
  /** The tail of each key's queue of changes on this instance ('subject:NAME' or 'roles'). */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(
    private readonly config: () => RbacConfig,
    private readonly store: RbacStore,
    private readonly authorizer: RbacAuthorizer,
    private readonly deps: { readonly audit: AuditTrail; readonly revocations: () => RevocationList | undefined; readonly now: () => number },
  ) {}

  /** A subject's dynamic record with expired entries dropped (they no longer count; a write removes them for good). */
  live(record: SubjectRecord | undefined): SubjectRecord {
    if (record === undefined) return EMPTY_SUBJECT;
    const now = this.deps.now();
    const alive = <T extends { expiresAt?: number | undefined }>(list: readonly T[]): T[] => list.filter((e) => e.expiresAt === undefined || e.expiresAt > now);
    return { roles: alive(record.roles), grants: alive(record.grants), denies: alive(record.denies) };
  }

  /**
   * Applies `change` to the subject's dynamic record. `change` may throw a GatewayError (bad input, not found) and
   * is called again on a conflict, with the record as it is then.
   */
  async updateSubject(
    actor: Actor,
    subject: string,
    action: string,
    change: (current: SubjectRecord) => SubjectRecord,
    options: ChangeOptions = {},
  ): Promise<{ before: SubjectRecord; after: SubjectRecord }> {
    refuseOwnRecord(actor, subject);
    return this.#serially(`subject:${subject}`, () => this.#updateSubject(actor, subject, action, change, options));
  }

  async #updateSubject(
    actor: Actor,
    subject: string,
    action: string,
    change: (current: SubjectRecord) => SubjectRecord,
    options: ChangeOptions,
  ): Promise<{ before: SubjectRecord; after: SubjectRecord }> {
    const now = this.deps.now;
    const deadline = now() + GIVE_UP_AFTER_MS;
    for (let attempt = 0; attempt < ATTEMPTS && now() < deadline; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const stamped = await read(() => this.store.loadSubject(subject), deadline, now);
      const before = this.live(stamped.value);
      const after = change(before);
      for (const binding of after.roles) {
        if (!this.authorizer.graph.has(binding.role)) throw badInput(`role "${binding.role}" is not defined`);
      }
      const empty = after.roles.length + after.grants.length + after.denies.length === 0;
      if (!(await this.store.writeSubject(subject, stamped.stamp, empty ? undefined : after))) continue;
      this.authorizer.apply({ kind: 'subject', name: subject, version: 0 });
      await this.deps.audit.record({ at: this.deps.now(), actor: actor.name, action, target: subject, before, after });
      if (options.revokeTokens) await this.#revokeTokens(actor, subject);
      return { before, after };
    }
    throw new GatewayError('PG_ADMIN_CONFLICT', { detail: 'the subject kept changing; try again' });
  }

  /**
   * What the same rules would answer to this actor changing this subject or role now, without changing anything: the
   * refusal (self-edit, a config role), or undefined. The console shows it beside a change before it is confirmed.
   */
  async refusal(actor: Actor, target: { readonly subject: string } | { readonly role: string }): Promise<GatewayError | undefined> {
    try {
      if ('subject' in target) refuseOwnRecord(actor, target.subject);
      else {
        const configured = this.config().policy.roles;
        if (configured.has(target.role)) return new GatewayError('PG_ADMIN_CONFLICT', { detail: `role "${target.role}" is defined in the config file; change it there` });
        const deadline = this.deps.now() + GIVE_UP_AFTER_MS;
        const dynamic = (await read(() => this.store.loadRoles(), deadline, this.deps.now)).value ?? new Map();
        await this.#refuseSelfEdit(actor, target.role, configured, dynamic, deadline);
      }
      return undefined;
    } catch (err) {
      if (err instanceof GatewayError && err.status === 403) return err;
      throw err;
    }
  }

  /** Creates or replaces a dynamic role (undefined deletes it). Config roles are read-only here. */
  async putRole(actor: Actor, name: string, role: RoleDefinition | undefined): Promise<{ before: RoleDefinition | undefined; after: RoleDefinition | undefined }> {
    return this.#serially('roles', () => this.#putRole(actor, name, role));
  }

  async #putRole(actor: Actor, name: string, role: RoleDefinition | undefined): Promise<{ before: RoleDefinition | undefined; after: RoleDefinition | undefined }> {
    // Read when the change's turn comes, so a reload while it queued is seen.
    const configured = this.config().policy.roles;
    if (configured.has(name)) {
      throw new GatewayError('PG_ADMIN_CONFLICT', { detail: `role "${name}" is defined in the config file; change it there` });
    }
    const now = this.deps.now;
    const deadline = now() + GIVE_UP_AFTER_MS;
    for (let attempt = 0; attempt < ATTEMPTS && now() < deadline; attempt++) {
      if (attempt > 0) await backoff(attempt);
      const stamped = await read(() => this.store.loadRoles(), deadline, now);
      const dynamic = new Map(stamped.value);
      const before = dynamic.get(name);
      if (role === undefined && before === undefined) throw new GatewayError('PG_ADMIN_NOT_FOUND', { detail: `no dynamic role "${name}"` });
      if (role === undefined) dynamic.delete(name);
      else dynamic.set(name, role);
      await this.#refuseSelfEdit(actor, name, configured, stamped.value ?? new Map(), deadline);
      const all = new Map(configured);
      for (const [n, r] of dynamic) all.set(n, r);
      if (role === undefined) {
        const heir = [...all.values()].find((r) => r.inherits.includes(name));
        if (heir !== undefined) throw badInput(`role "${heir.name}" inherits "${name}"; change it first`);
      }
      try {
        new RoleGraph(all);
      } catch (err) {
        if (err instanceof RoleCycleError || err instanceof UnknownRoleError) throw badInput(err.message);
        throw err;
      }
      if (!(await this.store.writeRole(name, stamped.stamp, role))) continue;
      // The change is written: a role reload that fails here is caught up by the next announcement or version check.
      await this.authorizer.applyAndWait({ kind: 'role', name, version: 0 }).catch(() => {});
      await this.deps.audit.record({ at: this.deps.now(), actor: actor.name, action: role ? 'rbac.role.put' : 'rbac.role.delete', target: name, before, after: role });
      return { before, after: role };
    }
    throw new GatewayError('PG_ADMIN_CONFLICT', { detail: 'roles kept changing; try again' });
  }

  /**
   * The self-edit rule for roles: a person may not create, change or delete a role they hold, since that would change
   * what they hold (make it inherit `admin`, say). They hold every role bound to their subject (in the config's
   * `rbac.subjects` and through this API, in any tenant, until it expires), every role their token names (defined or
   * not: defining it would hand it to them), and every role those inherit. Checked against the roles as read for
   * this very write, so the answer is the one the write would change.
   */
  async #refuseSelfEdit(actor: Actor, name: string, configured: ReadonlyMap<string, RoleDefinition>, dynamic: ReadonlyMap<string, RoleDefinition>, deadline: number): Promise<void> {
    if (actor.kind !== 'person') return;
    const direct = new Set(actor.tokenRoles);
    for (const binding of this.config().policy.subjects.get(actor.subject)?.roles ?? []) direct.add(binding.role);
    for (const binding of this.live((await read(() => this.store.loadSubject(actor.subject), deadline, this.deps.now)).value).roles) direct.add(binding.role);
    const roleOf = (role: string): RoleDefinition | undefined => configured.get(role) ?? dynamic.get(role);
    if (!heldThrough(direct, roleOf).has(name)) return;
    throw new GatewayError('PG_ADMIN_FORBIDDEN', {
      detail: `nobody may change a role they hold: "${name}" is bound to you, named in your token, or inherited by one of those`,
    });
  }

  /** Runs `task` after every earlier task queued under `key` on this instance has settled. */
  async #serially<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#queues.get(key) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(key, tail);
    try {
      return await run;
    } finally {
      // The last task of a queue removes it, so the map holds only keys with changes in progress.
      if (this.#queues.get(key) === tail) this.#queues.delete(key);
    }
  }

  async #revokeTokens(actor: Actor, subject: string): Promise<void> {
    const revocations = this.deps.revocations();
    if (revocations === undefined) return;
    const before = Math.floor(this.deps.now() / 1000); // tokens issued in this second or earlier (revocation-list.ts)
    await revocations.revokeSubject({ subject, before });
    await this.deps.audit.record({ at: this.deps.now(), actor: actor.name, action: 'revocation.subject', target: subject, after: { subject, before } });
  }
}

/** The self-edit rule for subjects: a person may not change their own record. */
function refuseOwnRecord(actor: Actor, subject: string): void {
  if (actor.kind === 'person' && actor.subject === subject) {
    throw new GatewayError('PG_ADMIN_FORBIDDEN', { detail: 'nobody may change their own roles or grants' });
  }
}

/**
 * Every role reached from `direct` through inheritance, `direct` included (defined or not). A plain walk rather than
 * RoleGraph: it must not fail on a graph a hand-edited store may hold.
 * @example heldThrough(new Set(['editor']), roles) → Set { 'editor', 'viewer' } when editor inherits viewer
 */
export function heldThrough(direct: Iterable<string>, roleOf: (name: string) => RoleDefinition | undefined): Set<string> {
  const held = new Set<string>();
  const pending = [...direct];
  for (let role = pending.pop(); role !== undefined; role = pending.pop()) {
    if (held.has(role)) continue;
    held.add(role);
    pending.push(...(roleOf(role)?.inherits ?? []));
  }
  return held;
}
