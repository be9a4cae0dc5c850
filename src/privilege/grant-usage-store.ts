// The seam between the least-privilege report and where grant use is kept (stores/memory, sqlite, redis): the last
// day each subject used each grant, and the last day anyone used each role grant. Days, not moments: the report asks
// "not used for N days", and a day per (subject, grant) is what keeps 100,000 subjects small (README, Keep privileges
// small). Writes only ever raise a day, so instances whose clocks differ, or flushes that arrive late, never lower it.

/** A day number: whole UTC days since the epoch. */
export type Day = number;

const DAY_MS = 86_400_000;

/** @example dayOf(Date.parse('2026-12-01T23:59:59Z')) → 20788 */
export function dayOf(at: number): Day {
  return Math.floor(at / DAY_MS);
}

/** @example dayText(20788) → '2026-12-01' */
export function dayText(day: Day): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** One subject's use of one grant (grant-key.ts) on `day`. */
export interface GrantUse {
  readonly subject: string;
  readonly grant: string;
  readonly day: Day;
}

/** One role grant's use by anyone on `day`. */
export interface RoleGrantUse {
  readonly grant: string;
  readonly day: Day;
}

export interface GrantUsageStore {
  /** Raises each (subject, grant)'s and each role grant's last-used day to the given day (never lowers it). */
  record(uses: readonly GrantUse[], roleUses: readonly RoleGrantUse[]): Promise<void>;
  /** The last day `subject` used each grant it used (grant key → day). */
  subjectUsage(subject: string): Promise<ReadonlyMap<string, Day>>;
  /** The last day anyone used each role grant (grant key → day). */
  roleUsage(): Promise<ReadonlyMap<string, Day>>;
  /** The first day anything was recorded in this store: before it, "unused" means "not known". */
  since(): Promise<Day | undefined>;
}

/**
 * How long a subject's record is kept after its last use (the Redis key's TTL). Beyond it every grant of the subject
 * reads as never used, which is what any report of up to this many days would say anyway.
 */
export const USAGE_RETENTION_DAYS = 400;
