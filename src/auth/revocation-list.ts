// Revoked tokens (by `jti`) and revoked subjects (every token issued before a moment). Each instance answers from a
// local mirror, so checking a request costs no Redis round-trip; the store keeps the mirror current.
import type { VerifiedToken } from './claims.js';

export interface RevokedToken {
  readonly jti: string;
  /** The token's own `exp` (seconds): the entry is dropped after it, when the token is dead anyway. */
  readonly exp: number;
}

export interface RevokedSubject {
  readonly subject: string;
  /**
   * Seconds since the epoch: the second of the revocation. Tokens of this subject issued in it or before it (`iat`
   * ≤ this) are revoked: `iat` has one-second resolution, so a token of that second may predate the revocation.
   */
  readonly before: number;
}

export interface RevocationSnapshot {
  readonly version: number;
  readonly tokens: readonly RevokedToken[];
  readonly subjects: readonly RevokedSubject[];
}

/** Revocations by token and by subject. */
export interface RevokedEntries {
  readonly tokens: RevokedToken[];
  readonly subjects: RevokedSubject[];
}

/**
 * What a change to the mirror may have revoked, for whoever holds live connections of tokens that passed earlier
 * (websocket/socket-registry.ts): a token, a subject, or anything (the mirror was reloaded whole).
 */
export type RevocationChange = { readonly kind: 'token'; readonly jti: string } | { readonly kind: 'subject'; readonly subject: string } | { readonly kind: 'all' };

export type RevocationListener = (change: RevocationChange) => void;

export interface RevocationList {
  /** Answers from the local mirror, synchronously. */
  isRevoked(token: VerifiedToken): boolean;
  /** False while the mirror cannot be known to be current (the shared store is unreachable). */
  isCurrent(): boolean;
  /**
   * For a route that fails closed: true when current, false when the store is unreachable, and while the mirror is
   * only late to confirm itself (a busy store or process), the outcome of a confirmation sent now (stores/feed.ts).
   */
  confirmCurrent(): boolean | Promise<boolean>;
  revokeToken(entry: RevokedToken): Promise<void>;
  revokeSubject(entry: RevokedSubject): Promise<void>;
  /** Undoes a subject-wide revocation; false when there was none. */
  restoreSubject(subject: string): Promise<boolean>;
  snapshot(): Promise<RevocationSnapshot>;
  /**
   * Told of every revocation as it enters this instance's mirror, made here or announced by another instance;
   * returns the call that stops it.
   */
  onChange(listener: RevocationListener): () => void;
  start(): Promise<void>;
  close(): Promise<void>;
}

/** The in-process view both stores keep: Maps only, so a subject named `constructor` is just a name. */
export class RevocationMirror {
  version = 0;
  readonly tokens = new Map<string, number>();
  readonly subjects = new Map<string, number>();
  readonly #listeners = new Set<RevocationListener>();

  constructor(private readonly now: () => number) {}

  onChange(listener: RevocationListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A listener that fails must not stop the mirror taking the change (nor the feed applying it). */
  #tell(change: RevocationChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // the listener's own concern; the revocation holds for requests either way
      }
    }
  }

  isRevoked(token: VerifiedToken): boolean {
    if (token.jti !== undefined) {
      const exp = this.tokens.get(token.jti);
      if (exp !== undefined && exp * 1000 > this.now()) return true;
    }
    const before = this.subjects.get(token.identity.subject);
    if (before === undefined) return false;
    // A token without iat cannot prove it is newer than the revocation: when in doubt, deny. Nor can a token of the
    // revocation's own second (iat is whole seconds): it is refused too, even if it was issued just after.
    return token.iat === undefined || token.iat <= before;
  }

  addToken(entry: RevokedToken): void {
    this.tokens.set(entry.jti, entry.exp);
    this.#tell({ kind: 'token', jti: entry.jti });
  }

  addSubject(entry: RevokedSubject): void {
    // Revoking again moves the moment forward, never back.
    this.subjects.set(entry.subject, Math.max(entry.before, this.subjects.get(entry.subject) ?? -Infinity));
    this.#tell({ kind: 'subject', subject: entry.subject });
  }

  /**
   * Takes the store's snapshot as the mirror. With `keep` (the store is behind what this mirror applied, or lost its
   * data: a failover that dropped acknowledged writes, a flushed Redis), nothing is taken away: revocations the
   * snapshot lacks stay, since a revocation the store forgot is still one an admin made (when in doubt, deny).
   * Returns those the snapshot lacked and were kept, for the store to be given back.
   */
  replace(snapshot: RevocationSnapshot, keep = false): RevokedEntries {
    const kept: RevokedEntries = { tokens: [], subjects: [] };
    const tokens = keep ? [...this.tokens] : [];
    const subjects = keep ? [...this.subjects] : [];
    this.tokens.clear();
    this.subjects.clear();
    for (const entry of snapshot.tokens) this.addToken(entry);
    for (const entry of snapshot.subjects) this.subjects.set(entry.subject, entry.before);
    this.version = snapshot.version;
    const nowSeconds = this.now() / 1000;
    for (const [jti, exp] of tokens) {
      if (exp <= nowSeconds || (this.tokens.get(jti) ?? -Infinity) >= exp) continue;
      this.tokens.set(jti, exp);
      kept.tokens.push({ jti, exp });
    }
    for (const [subject, before] of subjects) {
      if ((this.subjects.get(subject) ?? -Infinity) >= before) continue;
      this.subjects.set(subject, before);
      kept.subjects.push({ subject, before });
    }
    if (this.#listeners.size > 0) this.#tell({ kind: 'all' });
    return kept;
  }

  /** Drops tokens whose own expiry has passed. */
  prune(): void {
    const nowSeconds = this.now() / 1000;
    for (const [jti, exp] of this.tokens) if (exp <= nowSeconds) this.tokens.delete(jti);
  }

  toSnapshot(): RevocationSnapshot {
    this.prune();
    return {
      version: this.version,
      tokens: [...this.tokens].map(([jti, exp]) => ({ jti, exp })),
      subjects: [...this.subjects].map(([subject, before]) => ({ subject, before })),
    };
  }
}
