// The RBAC engine of one instance: the role graph (config roles plus dynamic ones), and an LRU of subjects, each
// holding its dynamic record and its compiled permissions per tenant and token. A cached decision is two trie walks
// and no I/O; a miss costs one store read per subject (deduplicated while in flight). Announced changes evict
// exactly what they affect: a subject change that subject, a role change the subjects holding it or an heir of it.
import { LRUCache } from 'lru-cache';
import type { RbacConfig } from '../config/rbac-types.js';
import { GatewayError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { AuthorizationRequest, Authorizer, GrantUseSink } from './authorizer.js';
import { compile, decide, type CompiledPermissions, type Decision } from './compile.js';
import { explainCodes, type CodeExplanation } from './explain.js';
import type { RoleDefinition, SubjectRecord } from './model.js';
import type { RbacChange, RbacStore, Stamped } from './rbac-store.js';
import { RoleGraph } from './role-graph.js';
import { collectSources, type Subject } from './sources.js';
import { safeRoles, safeSubject, type BadPatternReport } from './stored-policy.js';

interface SubjectEntry {
  readonly record: Stamped<SubjectRecord>;
  /** this.now() when the record was read from the store. */
  readonly loadedAt: number;
  /** The resync count when it was read: older than the last resync, it may have missed a change (see #resyncs). */
  readonly resyncs: number;
  /** Compiled permissions per tenant and token (roles, scopes), which is what they depend on beyond the record. */
  readonly variants: Map<string, Variant>;
  /**
   * The variant the last request used, and for which identity object and tenant: the next request of the same
   * token (the token cache hands out the same Identity) and tenant takes it without building the variant's key.
   * Fields of the entry rather than an object of their own: at 100,000 subjects each hop is a cache miss.
   * Cleared with any variant it may name (dropVariants, #evictHolders).
   */
  recentIdentity: Identity | undefined;
  recentTenant: string | undefined;
  recentCompiled: CompiledPermissions | undefined;
  /** this.#now() when the LRU last heard of a use (see TOUCH_INTERVAL). */
  touchedAt: number;
}


interface Variant {
  readonly compiled: CompiledPermissions;
  /**
   * The role names the token carries, known roles or not: a role created (or changed) after this was compiled
   * must evict it, though it is not among the roles that held then.
   */
  readonly tokenRoles: readonly string[];
}

interface Loading {
  readonly promise: Promise<SubjectEntry>;
  /** Set when the subject changed while its record was being read: the result is used once, never cached. */
  stale: boolean;
}

/** Variants kept per subject: a subject seen with many tenants or tokens starts over rather than growing. */
const MAX_VARIANTS = 32;
/**
 * A cached subject's use moves it up the LRU at most this often (ms). Moving it on every hit wrote the LRU's links
 * at random places of a 100,000-entry list on every decision; recency to the second is as good for eviction.
 */
const TOUCH_INTERVAL = 1_000;
const RETRY = { 'retry-after': '1' };

const notCurrent = (): GatewayError => new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'permissions cannot be confirmed current; this route fails closed', headers: RETRY });

export interface RbacAuthorizerOptions {
  readonly now?: () => number;
  readonly onResync?: (reason: string) => void;
  readonly onCache?: (result: 'hit' | 'miss') => void;
  /** A stored pattern that cannot be compiled as written was dropped (grant) or widened (deny): stored-policy.ts. */
  readonly onBadPattern?: BadPatternReport;
  /** Told which grants allowed each request (the least-privilege report); absent: nothing is recorded. */
  readonly grantUse?: GrantUseSink | undefined;
}

/**
 * What an RBAC change may have taken away: one subject's permissions, or anyone's (a role, a resync, a reload). Told
 * once the change is in this instance's view, so a decision asked for then sees it (websocket/socket-registry.ts).
 */
export type PermissionsChanged = { readonly subject: string } | 'all';

export interface Explanation {
  readonly allowed: boolean;
  readonly mode: 'all' | 'any';
  readonly codes: readonly CodeExplanation[];
  readonly roles: readonly string[];
}

export class RbacAuthorizer implements Authorizer {
  #config: RbacConfig;
  readonly #store: RbacStore;
  readonly #now: () => number;
  readonly #options: RbacAuthorizerOptions;
  readonly #subjects: LRUCache<string, SubjectEntry>;
  readonly #loading = new Map<string, Loading>();
  readonly #tokenKeys = new WeakMap<Identity, string>();
  #graph: RoleGraph;
  #dynamicRoles: Stamped<ReadonlyMap<string, RoleDefinition>> = { value: new Map(), stamp: '' };
  #rolesReload: Promise<void> | undefined;
  #pendingRoles = new Set<string>();
  #reloadAgain = false;
  /**
   * Set by a resync: any role may have changed, unnamed. A subject read again while the roles reload is compiled
   * against the roles as they were, so every compiled variant is dropped once the new roles are in.
   */
  #rolesMayDiffer = false;
  /**
   * Counts the feed's resyncs (changes may have been missed). A subject compiled before the last one is read again
   * before it is used; only when that read fails (the store is down or failing over) does a route that is not
   * sensitive use it, while it is younger than maxStaleness, as with any compiled subject while the store is away.
   * Dropping them all instead turned every failover into 503s for subjects that were answered a moment before.
   */
  #resyncs = 0;
  readonly #listeners = new Set<(changed: PermissionsChanged) => void>();

  constructor(config: RbacConfig, store: RbacStore, options: RbacAuthorizerOptions = {}) {
    this.#config = config;
    this.#store = store;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#subjects = new LRUCache({ max: config.cacheSize });
    this.#graph = new RoleGraph(config.policy.roles);
  }

  /**
   * A reloaded config: its static roles and subjects replace the old ones, and every compiled subject is dropped.
   * (The cache size and sync interval stay as they were started.)
   */
  reconfigure(config: RbacConfig): void {
    this.#config = config;
    this.#graph = mergeRoles(config.policy.roles, this.#dynamicRoles.value ?? new Map(), new RoleGraph(config.policy.roles));
    this.#subjects.clear();
    for (const loading of this.#loading.values()) loading.stale = true;
    this.#loading.clear();
  }

  /** Told of every change that may take a permission away; returns the call that stops it. */
  onPermissionsChanged(listener: (changed: PermissionsChanged) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #tell(changed: PermissionsChanged): void {
    for (const listener of this.#listeners) {
      try {
        listener(changed);
      } catch {
        // the listener's own concern: the change holds for requests either way
      }
    }
  }

  /** Loads dynamic roles and subscribes to changes. A store that is down now is retried by its version check. */
  async start(): Promise<void> {
    await this.#store.start((change) => this.apply(change));
    await this.#reloadRoles().catch(() => {});
  }

  async close(): Promise<void> {
    await this.#store.close();
  }

  get store(): RbacStore {
    return this.#store;
  }

  get graph(): RoleGraph {
    return this.#graph;
  }

  get dynamicRoles(): Stamped<ReadonlyMap<string, RoleDefinition>> {
    return this.#dynamicRoles;
  }

  isCurrent(): boolean {
    return this.#store.isCurrent();
  }

  authorize(request: AuthorizationRequest): Decision | Promise<Decision> {
    if (request.sensitive && !this.#store.isCurrent()) {
      // Late to confirm itself under a burst is not an outage: wait for the confirmation, then decide as usual.
      const confirmed = this.#store.confirmCurrent();
      if (confirmed === false) throw notCurrent();
      if (confirmed !== true) return confirmed.then((current) => (current ? this.#authorize(request) : Promise.reject(notCurrent())));
    }
    return this.#authorize(request);
  }

  #authorize(request: AuthorizationRequest): Decision | Promise<Decision> {
    const now = this.#now();
    const subject = request.identity.subject;
    const entry = this.#subjects.peek(subject);
    if (entry !== undefined && entry.resyncs === this.#resyncs && this.#usable(entry, now)) {
      if (now - entry.touchedAt >= TOUCH_INTERVAL) {
        entry.touchedAt = now;
        this.#subjects.get(subject);
      }
      this.#options.onCache?.('hit');
      return this.#decide(entry, request, now);
    }
    this.#options.onCache?.('miss');
    const loaded = this.#load(subject).then((fresh) => this.#decide(fresh, request, this.#now()));
    if (entry === undefined || request.sensitive || now - entry.loadedAt >= Math.min(this.#config.maxStaleness, this.#config.cacheTtl)) return loaded;
    // Compiled before a resync, and not too old: the last known permissions if the store cannot say now.
    return loaded.catch((err: unknown) => {
      if (!(err instanceof GatewayError) || err.code !== 'PG_STORE_UNAVAILABLE') throw err;
      return this.#decide(entry, request, this.#now());
    });
  }

  /** The same decision as `authorize`, with the sources behind it. Reads the store; never caches. */
  async explain(request: Omit<AuthorizationRequest, 'sensitive'>, at?: number): Promise<Explanation> {
    const stored = await this.#store.loadSubject(request.identity.subject);
    const record = { ...stored, value: safeSubject(request.identity.subject, stored.value, this.#badPattern) };
    const who = this.#who(request.identity, request.tenant);
    const now = at ?? this.#now();
    const collected = collectSources(who, this.#config.policy.subjects.get(who.subject), record.value, this.#graph, now);
    const codes = explainCodes(collected.sources, request.codes, request.identity.subject, request.facts, now);
    const allowed = request.mode === 'all' ? codes.every((c) => c.allowed) : codes.some((c) => c.allowed);
    return { allowed, mode: request.mode, codes, roles: [...collected.roles] };
  }

  /** As `apply`, resolving once a role change is in this instance's graph (read-your-writes for the admin API). */
  async applyAndWait(change: RbacChange): Promise<void> {
    this.apply(change);
    if (change.kind !== 'subject') await this.#reloadRoles();
  }

  /** Applies an announced change (from the store, or from this instance's own write before the echo arrives). */
  apply(change: RbacChange): void {
    if (change.kind === 'subject') {
      this.#subjects.delete(change.name);
      const loading = this.#loading.get(change.name);
      if (loading !== undefined) {
        loading.stale = true;
        this.#loading.delete(change.name);
      }
      this.#tell({ subject: change.name });
      return;
    }
    if (change.kind === 'role') this.#pendingRoles.add(change.name);
    else {
      // Anything may have changed: every compiled subject is read again before its next use, then roles reload.
      this.#resyncs++;
      this.#rolesMayDiffer = true;
      for (const loading of this.#loading.values()) loading.stale = true;
      this.#loading.clear();
      this.#options.onResync?.(change.reason);
    }
    // Told once the graph holds the change: a decision asked for then sees it.
    void this.#reloadRoles().then(() => this.#tell('all'), () => this.#tell('all'));
  }

  /** A compiled subject is used while it is younger than the TTL, and, with the store unreachable, than maxStaleness. */
  #usable(entry: SubjectEntry, now: number): boolean {
    const age = now - entry.loadedAt;
    if (age >= this.#config.cacheTtl) return false;
    return age < this.#config.maxStaleness || this.#store.isCurrent();
  }

  readonly #badPattern: BadPatternReport = (bad) => this.#options.onBadPattern?.(bad);

  #who(identity: Identity, tenant: string | undefined): Subject {
    return {
      subject: identity.subject,
      tenant,
      tokenRoles: identity.roles,
      tokenTenant: identity.tenant,
      tokenScopes: this.#config.tokenScopes ? identity.scopes : [],
    };
  }

  #decide(entry: SubjectEntry, request: AuthorizationRequest, now: number): Decision {
    const identity = request.identity;
    let compiled =
      entry.recentIdentity === identity && entry.recentTenant === request.tenant && entry.recentCompiled !== undefined
        ? entry.recentCompiled
        : this.#variant(entry, request, now).compiled;
    if (compiled.validUntil <= now) compiled = this.#compileVariant(entry, request, this.#variantKey(request), now).compiled;
    const decision = decide(compiled, request.codes, request.mode, request.facts, now);
    const usage = this.#options.grantUse;
    if (usage !== undefined && decision.allowed && usage.wants(identity.subject, decision.codes, now)) {
      // The first time today this subject is allowed these codes: which grants did it? (The sources are collected
      // again rather than kept with every compiled variant, which would cost memory for every cached subject.)
      const who = this.#who(identity, request.tenant);
      const sources = collectSources(who, this.#config.policy.subjects.get(who.subject), entry.record.value, this.#graph, now).sources;
      usage.record(identity.subject, decision.codes, sources, request.facts, now);
    }
    return decision;
  }

  /** The variant for this request's tenant and token, compiled if there is none yet. */
  #variant(entry: SubjectEntry, request: AuthorizationRequest, now: number): Variant {
    const key = this.#variantKey(request);
    const variant = entry.variants.get(key);
    if (variant === undefined) return this.#compileVariant(entry, request, key, now);
    remember(entry, request, variant);
    return variant;
  }

  #variantKey(request: AuthorizationRequest): string {
    const identity = request.identity;
    let tokenKey = this.#tokenKeys.get(identity);
    if (tokenKey === undefined) {
      // JSON, not a join: a token role named `a,b` must not share the variant of a token naming `a` and `b`.
      tokenKey = JSON.stringify([identity.tenant ?? null, identity.roles, this.#config.tokenScopes ? identity.scopes : []]);
      this.#tokenKeys.set(identity, tokenKey);
    }
    return `${request.tenant ?? ''}\u0000${tokenKey}`;
  }

  #compileVariant(entry: SubjectEntry, request: AuthorizationRequest, key: string, now: number): Variant {
    const identity = request.identity;
    const who = this.#who(identity, request.tenant);
    const compiled = compile(collectSources(who, this.#config.policy.subjects.get(who.subject), entry.record.value, this.#graph, now), this.#graph);
    if (entry.variants.size >= MAX_VARIANTS) dropVariants(entry);
    const variant = { compiled, tokenRoles: identity.roles };
    entry.variants.set(key, variant);
    remember(entry, request, variant);
    return variant;
  }

  #load(subject: string): Promise<SubjectEntry> {
    const pending = this.#loading.get(subject);
    if (pending !== undefined) return pending.promise;
    const resyncs = this.#resyncs;
    const loading: Loading = {
      stale: false,
      promise: this.#store.loadSubject(subject).then(
        (stored) => {
          // Stored patterns are checked before anything compiles them (issue 10 §1).
          const record = { ...stored, value: safeSubject(subject, stored.value, this.#badPattern) };
          const loadedAt = this.#now();
          const entry: SubjectEntry = {
            record,
            loadedAt,
            resyncs,
            variants: new Map(),
            recentIdentity: undefined,
            recentTenant: undefined,
            recentCompiled: undefined,
            touchedAt: loadedAt,
          };
          if (!loading.stale) this.#subjects.set(subject, entry);
          return entry;
        },
        (err: unknown) => {
          throw new GatewayError('PG_STORE_UNAVAILABLE', { detail: 'permissions could not be read', headers: RETRY, cause: err });
        },
      ),
    };
    this.#loading.set(subject, loading);
    void loading.promise.finally(() => this.#loading.get(subject) === loading && this.#loading.delete(subject)).catch(() => {});
    return loading.promise;
  }

  /** One reload at a time; changes announced meanwhile run it again. Evicts the holders of changed roles after the swap. */
  #reloadRoles(): Promise<void> {
    if (this.#rolesReload !== undefined) {
      this.#reloadAgain = true;
      return this.#rolesReload;
    }
    this.#rolesReload = (async () => {
      try {
        do {
          this.#reloadAgain = false;
          const changed = this.#pendingRoles;
          this.#pendingRoles = new Set();
          const anyRole = this.#rolesMayDiffer;
          this.#rolesMayDiffer = false;
          const before = this.#graph;
          let loaded;
          try {
            loaded = await this.#store.loadRoles();
          } catch (err) {
            // Still owed to the next reload: what this one was to apply.
            this.#rolesMayDiffer ||= anyRole;
            for (const name of changed) this.#pendingRoles.add(name);
            throw err;
          }
          const dynamic = { ...loaded, value: loaded.value && safeRoles(loaded.value, this.#badPattern) };
          this.#graph = mergeRoles(this.#config.policy.roles, dynamic.value ?? new Map(), before);
          this.#dynamicRoles = dynamic;
          if (anyRole) for (const entry of this.#subjects.values()) dropVariants(entry);
          else this.#evictHolders(changed, before);
        } while (this.#reloadAgain || this.#pendingRoles.size > 0);
      } finally {
        this.#rolesReload = undefined;
      }
    })();
    return this.#rolesReload;
  }

  #evictHolders(changed: ReadonlySet<string>, before: RoleGraph): void {
    if (changed.size === 0) return;
    const affected = new Set<string>();
    for (const name of changed) {
      for (const heir of before.heirs(name)) affected.add(heir);
      for (const heir of this.#graph.heirs(name)) affected.add(heir);
    }
    for (const entry of this.#subjects.values()) {
      for (const [key, variant] of entry.variants) {
        if (holdsAny(variant.compiled.roles, affected) || namesAny(variant.tokenRoles, affected)) {
          entry.variants.delete(key);
          if (entry.recentCompiled === variant.compiled) forget(entry);
        }
      }
    }
  }
}

function remember(entry: SubjectEntry, request: AuthorizationRequest, variant: Variant): void {
  entry.recentIdentity = request.identity;
  entry.recentTenant = request.tenant;
  entry.recentCompiled = variant.compiled;
}

function forget(entry: SubjectEntry): void {
  entry.recentIdentity = undefined;
  entry.recentTenant = undefined;
  entry.recentCompiled = undefined;
}

function dropVariants(entry: SubjectEntry): void {
  entry.variants.clear();
  forget(entry);
}

function holdsAny(roles: ReadonlySet<string>, affected: ReadonlySet<string>): boolean {
  for (const role of roles) if (affected.has(role)) return true;
  return false;
}

function namesAny(names: readonly string[], affected: ReadonlySet<string>): boolean {
  for (const name of names) if (affected.has(name)) return true;
  return false;
}

/**
 * Config roles plus dynamic ones. The admin API refuses a dynamic role that would break the graph; should the store
 * still hold one (edited by hand), the previous graph is kept rather than failing every request.
 */
export function mergeRoles(configured: ReadonlyMap<string, RoleDefinition>, dynamic: ReadonlyMap<string, RoleDefinition>, fallback?: RoleGraph): RoleGraph {
  const all = new Map(configured);
  for (const [name, role] of dynamic) if (!all.has(name)) all.set(name, role);
  try {
    return new RoleGraph(all, fallback);
  } catch (err) {
    if (fallback !== undefined) return fallback;
    throw err;
  }
}
