// The versioned feed (issue 11 §4): how every instance learns what was written to a store it shares — each change
// announced once with the next version, applied in version order, and a resync whenever changes may have been missed.
// Revocations and RBAC data both ride one; each implementation keeps the write and its announcement one atomic step.

/** A change as every instance receives it: what the writer announced, and its place in the store's order. */
export type Announced<C> = C & { readonly version: number };

/** Why a listener must rebuild from the store; these are the `reason` labels of the resync metrics. */
export type ResyncReason =
  /** The first sync after start. */
  | 'start'
  /** The subscription was lost and is back: whatever was announced meanwhile is lost. */
  | 'reconnected'
  /** An announcement skipped a version: one was lost on the way. */
  | 'version gap'
  /** The periodic check found the store ahead twice in a row: an announcement was lost, not just in flight. */
  | 'version check'
  /** The store's version went back or its epoch changed: it lost its data (a restart without persistence, a flush). */
  | 'store reset'
  /** An announcement came from another epoch of the store than the one this instance follows. */
  | 'epoch changed'
  /** An announcement could not be read or applied. */
  | 'unreadable message';

export interface FeedListener<C> {
  /**
   * The next change, in version order, once each. A change a resync already included may come again after it, so
   * applying must be idempotent.
   */
  apply(change: Announced<C>): void;
  /**
   * Changes may have been missed: rebuild from the store (drop compiled caches, reload a snapshot). The feed counts
   * as current only once this resolves; changes announced meanwhile are applied after it. A rejection leaves the
   * feed not current, and the resync is tried again.
   */
  resync(reason: ResyncReason): void | Promise<void>;
}

/**
 * What a consumer sees. Writing is each implementation's own, because atomicity is: the write returns the change it
 * made, the feed stamps and announces it in the same step (one Lua script on Redis, one call in process), and the
 * write resolves once this instance's listener has the change, so a writer reads its own writes.
 */
export interface Feed<C> {
  /**
   * Starts delivering to `listener`. Resolves after the first sync, or after a brief wait while the store is
   * unreachable (then not current until it is reached).
   */
  start(listener: FeedListener<C>): Promise<void>;
  /** False while changes may have been missed: the store is unreachable, or a resync is owed. */
  isCurrent(): boolean;
  /**
   * For a decision that must not rest on a stale feed: true when current; false at once when the store is
   * unreachable or a resync is owed; when the feed is only late to confirm itself (connected, nothing owed: a busy
   * store or a busy process), the outcome of a confirmation sent now, false if it takes too long.
   */
  confirmCurrent(): boolean | Promise<boolean>;
  /** Stops every connection and timer of the feed's own; the listener hears nothing more. */
  close(): Promise<void>;
}
