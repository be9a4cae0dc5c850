// Records which grants allowed requests, compactly and off the request path. An allowed decision first asks `wants`
// (one LRU lookup: has this subject already been seen with these codes today?); only a new (subject, code) of the day
// pays for finding the grants that cover the code, and only a new (subject, grant) of the day is queued. The queue is
// written to the store every `flushInterval` in one batch, so each instance writes each (subject, grant) at most once
// a day while the subject stays among the `maxSubjects` most recently seen. Memory is bounded by `maxSubjects`, the
// codes and grants kept per subject, and `maxPending`; what a full queue cannot take is counted, never blocks.
//
// Only grants that allowed the request are credited: an unconditional grant whenever it covers the code (then no
// conditional one is, though its condition held: it was not needed), else each conditional grant whose condition held
// for this request. A code allowed through one condition while another conditional grant covering it did not hold is
// not settled for the day: a later request may meet that other condition (a day shift and a night shift), so the code
// is checked again, at most MAX_RECHECKS_PER_SUBJECT times per subject and day.
import { LRUCache } from 'lru-cache';
import type { GrantUseSink } from '../rbac/authorizer.js';
import type { CompiledCondition, RequestFacts } from '../rbac/condition.js';
import { forSubject, namesSubject, parsePermissionPattern, patternCovers, type PatternPart } from '../rbac/permission-pattern.js';
import type { GrantHolder, PermissionSource } from '../rbac/sources.js';
import { grantKey } from './grant-key.js';
import { dayOf, type Day, type GrantUsageStore } from './grant-usage-store.js';

export interface GrantUsageRecorderOptions {
  /** How often queued uses are written (ms). */
  readonly flushInterval: number;
  /** Subjects remembered as already recorded today (LRU). */
  readonly maxSubjects: number;
  /** Queued (subject, grant) uses; past it a flush starts at once, and while one runs further uses are dropped. */
  readonly maxPending: number;
  /** `written` after a flush the store took, `dropped` for uses lost (full queue, failed flush). */
  readonly onRecords?: (outcome: 'written' | 'dropped', count: number) => void;
  readonly onFlushError?: (err: Error) => void;
}

/**
 * What one subject was seen using today. Arrays, not Sets: a subject uses a handful of codes a day, and a Set's hash
 * table costs more than a short scan (bench/grant-usage.ts measures the bytes per subject). Grant keys are interned,
 * so 100,000 holders of one role grant share one string.
 */
interface SeenToday {
  day: Day;
  /** Codes settled for the day: every grant that could be credited for them was. */
  readonly codes: string[];
  readonly grants: string[];
  /** Checks of codes that were not settled (see above). */
  rechecks: number;
}

/** Per subject and day; a subject that uses more is started over (it then costs re-checks, never more memory). */
const MAX_CODES_PER_SUBJECT = 256;
const MAX_GRANTS_PER_SUBJECT = 256;
/** Checks per subject and day of codes left unsettled by a conditional grant that did not hold; then they are settled. */
export const MAX_RECHECKS_PER_SUBJECT = 64;
/** Parsed patterns kept for coverage checks, and grant keys interned. */
const MAX_PATTERNS = 10_000;
const MAX_KEYS = 100_000;

export class GrantUsageRecorder implements GrantUseSink {
  readonly #store: GrantUsageStore;
  readonly #options: GrantUsageRecorderOptions;
  readonly #seen: LRUCache<string, SeenToday>;
  readonly #patterns = new LRUCache<string, PatternPart[]>({ max: MAX_PATTERNS });
  readonly #keys = new LRUCache<string, string>({ max: MAX_KEYS });
  /** subject → grant → day, waiting for the next flush. */
  #pending = new Map<string, Map<string, Day>>();
  #pendingCount = 0;
  /** Role grants queued or written today: each is written once a day per instance. */
  #roleDay: Day = -1;
  #rolesSeen = new Set<string>();
  #pendingRoles = new Map<string, Day>();
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(store: GrantUsageStore, options: GrantUsageRecorderOptions) {
    this.#store = store;
    this.#options = options;
    this.#seen = new LRUCache({ max: options.maxSubjects });
    this.#timer = setInterval(() => void this.flush(), options.flushInterval);
    this.#timer.unref();
  }

  wants(subject: string, codes: readonly string[], now: number): boolean {
    const seen = this.#seen.get(subject);
    if (seen === undefined || seen.day !== dayOf(now)) return true;
    for (let i = 0; i < codes.length; i++) if (!seen.codes.includes(codes[i]!)) return true;
    return false;
  }

  record(subject: string, codes: readonly string[], sources: readonly PermissionSource[], facts: RequestFacts | undefined, now: number): void {
    const day = dayOf(now);
    let seen = this.#seen.get(subject);
    if (seen === undefined || seen.day !== day) this.#seen.set(subject, (seen = { day, codes: [], grants: [], rechecks: 0 }));
    for (const code of codes) {
      if (seen.codes.includes(code)) continue;
      if (!this.#credit(subject, code, sources, facts, now, seen) && ++seen.rechecks <= MAX_RECHECKS_PER_SUBJECT) continue;
      if (seen.codes.length >= MAX_CODES_PER_SUBJECT) seen.codes.length = 0;
      seen.codes.push(code);
    }
  }

  /**
   * Credits the grants that allowed `code` for this request (see the top of the file). Returns whether the code is
   * settled for the day: false while a conditional grant covering it did not hold and was not credited today.
   */
  #credit(subject: string, code: string, sources: readonly PermissionSource[], facts: RequestFacts | undefined, now: number, seen: SeenToday): boolean {
    const covers = (pattern: string) => this.#covers(namesSubject(pattern) ? forSubject(pattern, subject) : pattern, code);
    let unconditional = false;
    for (const source of sources) {
      if (source.when !== undefined) continue; // a role bound under a condition: its grants are conditional
      for (const pattern of source.grants) {
        if (!covers(pattern)) continue;
        unconditional = true;
        // A token's scope allows, but is nothing an operator can revoke here: it is not credited.
        if (source.holder.kind !== 'scope') this.#use(subject, source.holder, pattern, seen);
      }
    }
    if (unconditional) return true;
    let settled = true;
    const conditional = (holder: Exclude<GrantHolder, { kind: 'scope' }>, pattern: string, when: CompiledCondition): void => {
      if (!covers(pattern)) return;
      if (facts !== undefined && when.test(facts, now)) this.#use(subject, holder, pattern, seen);
      else if (!seen.grants.includes(this.#intern(grantKey(holder, pattern)))) settled = false;
    };
    for (const source of sources) {
      const holder = source.holder;
      if (holder.kind === 'scope') continue;
      if (source.when !== undefined) for (const pattern of source.grants) conditional(holder, pattern, source.when);
      // Each carries the binding's condition too, when there is one (sources.ts).
      for (const grant of source.conditionalGrants ?? []) conditional(holder, grant.pattern, grant.when);
    }
    return settled;
  }

  #use(subject: string, holder: Exclude<GrantHolder, { kind: 'scope' }>, pattern: string, seen: SeenToday): void {
    const key = this.#intern(grantKey(holder, pattern));
    if (seen.grants.includes(key)) return;
    if (seen.grants.length >= MAX_GRANTS_PER_SUBJECT) seen.grants.length = 0;
    seen.grants.push(key);
    this.#queue(subject, key, seen.day, holder.kind === 'role');
  }

  /** Writes what is queued; resolves when it is written (or dropped). One flush at a time. */
  flush(): Promise<void> {
    if (this.#flushing !== undefined) return this.#flushing;
    if (this.#pendingCount === 0 && this.#pendingRoles.size === 0) return Promise.resolve();
    const batch = this.#pending;
    const count = this.#pendingCount;
    const roles = this.#pendingRoles;
    this.#pending = new Map();
    this.#pendingCount = 0;
    this.#pendingRoles = new Map();
    const uses = [];
    for (const [subject, grants] of batch) for (const [grant, day] of grants) uses.push({ subject, grant, day });
    const roleUses = [...roles].map(([grant, day]) => ({ grant, day }));
    this.#flushing = this.#store
      .record(uses, roleUses)
      .then(
        () => this.#options.onRecords?.('written', count),
        (err: Error) => {
          // Not retried: the next request of the day records nothing more for these, so they are lost for today
          // on this instance (and counted), rather than piling up behind a store that is down.
          this.#options.onRecords?.('dropped', count);
          this.#options.onFlushError?.(err);
        },
      )
      .finally(() => {
        this.#flushing = undefined;
      });
    return this.#flushing;
  }

  /** Stops the timer and writes what is queued. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#flushing;
    await this.flush();
  }

  #queue(subject: string, key: string, day: Day, role: boolean): void {
    if (role) {
      if (this.#roleDay !== day) {
        this.#roleDay = day;
        this.#rolesSeen = new Set();
      }
      if (!this.#rolesSeen.has(key) && this.#rolesSeen.size < this.#options.maxPending) {
        this.#rolesSeen.add(key);
        this.#pendingRoles.set(key, day);
      }
    }
    if (this.#pendingCount >= this.#options.maxPending) {
      if (this.#flushing === undefined) void this.flush();
      else return void this.#options.onRecords?.('dropped', 1);
    }
    let grants = this.#pending.get(subject);
    if (grants === undefined) this.#pending.set(subject, (grants = new Map()));
    if (!grants.has(key)) this.#pendingCount++;
    grants.set(key, day);
  }

  #intern(key: string): string {
    const known = this.#keys.get(key);
    if (known !== undefined) return known;
    this.#keys.set(key, key);
    return key;
  }

  #covers(pattern: string | undefined, code: string): boolean {
    if (pattern === undefined) return false; // a `{subject}` grant its holder's name cannot fill in
    let parts = this.#patterns.get(pattern);
    if (parts === undefined) {
      try {
        parts = parsePermissionPattern(pattern);
      } catch {
        return false; // a stored pattern the engine could not compile grants nothing (stored-policy.ts)
      }
      this.#patterns.set(pattern, parts);
    }
    return patternCovers(parts, code);
  }
}
